import type { VerifyResult } from '../interfaces/verify-result.interface';
import { SmtpSettingsError } from './smtp-settings.error';

/**
 * `PUT ?verify=true` whose check failed: nothing was saved. It carries the verify result as
 * `POST verify` answers it (never a secret), and its message, which says what to fix.
 */
export class VerifyFailedError extends SmtpSettingsError {
  readonly code = 'VERIFY_FAILED';

  constructor(readonly verify: VerifyResult) {
    super(verify.message);
  }

  override toResponse() {
    return { verify: this.verify };
  }
}
