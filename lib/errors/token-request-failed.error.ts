import { SmtpSettingsError } from './smtp-settings.error';

/** Entra ID refused to issue a token. `code` is the AADSTS code when Entra ID gave one. */
export class TokenRequestFailedError extends SmtpSettingsError {
  constructor(
    readonly code: string,
    message: string,
    /** The settings field the admin should look at, when one is to blame. */
    readonly field?: string,
  ) {
    super(message);
  }

  override toResponse() {
    return this.field ? { field: this.field } : {};
  }
}
