import type { FieldProblem } from '../interfaces/field-problem.interface';
import { SmtpSettingsError } from './smtp-settings.error';

/** A request body that is not settings (a test email's address) has bad fields: every one at once. */
export class RequestValidationError extends SmtpSettingsError {
  readonly code = 'INVALID_REQUEST';

  constructor(readonly problems: FieldProblem[]) {
    super(problems.map((p) => p.message).join('; '));
  }

  override toResponse() {
    return { message: this.problems.map((p) => p.message), errors: this.problems };
  }
}
