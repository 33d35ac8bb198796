import { SmtpSettingsError } from './smtp-settings.error';

/** The store cannot be read or written. Stores never "repair" what they cannot read. */
export class SettingsStoreError extends SmtpSettingsError {
  readonly code = 'STORE_UNAVAILABLE';
  readonly status = 503;
}

/** A stored secret could not be opened: the wrong key, or tampered data. */
export class SecretUnsealError extends SmtpSettingsError {
  readonly code = 'SECRET_UNSEAL_FAILED';
  readonly status = 500;
}
