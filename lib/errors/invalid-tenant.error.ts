import { SmtpSettingsError } from './smtp-settings.error';

/** A tenant id that is not 1 to 64 letters, digits, `.`, `_` or `-`, starting with a letter or digit. */
export class InvalidTenantError extends SmtpSettingsError {
  readonly code = 'INVALID_TENANT';

  constructor(message: string) {
    super(message);
  }
}
