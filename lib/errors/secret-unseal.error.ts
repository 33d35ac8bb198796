import { SmtpSettingsError } from './smtp-settings.error';

/**
 * A stored secret could not be opened: the wrong key, or tampered data. The module treats the secret
 * as missing and asks the admin for it, so this never reaches a response by itself.
 */
export class SecretUnsealError extends SmtpSettingsError {
  readonly code = 'SECRET_UNSEAL_FAILED';

  constructor(
    readonly field: string,
    /** Why, in words an admin can act on; never key material or plaintext. */
    readonly reason: string,
  ) {
    super(`the stored ${field} cannot be opened: ${reason}`);
  }
}
