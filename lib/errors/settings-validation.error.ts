import type { FieldProblem } from '../interfaces/field-problem.interface';
import { SmtpSettingsError } from './smtp-settings.error';

export type { FieldProblem };

/** Every problem with a settings body at once, so that the admin fixes them in one pass. */
export class SettingsValidationError extends SmtpSettingsError {
  readonly code = 'INVALID_SETTINGS';

  constructor(readonly problems: FieldProblem[]) {
    super(problems.map((p) => p.message).join('; '));
  }

  override toResponse() {
    return { message: this.problems.map((p) => p.message), errors: this.problems };
  }
}
