import { SmtpSettingsError } from './smtp-settings.error';

/** The store cannot be read or written. Stores never "repair" what they cannot read. */
export class StoreUnavailableError extends SmtpSettingsError {
  readonly code = 'STORE_UNAVAILABLE';
}
