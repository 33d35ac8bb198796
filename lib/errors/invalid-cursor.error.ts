import type { FieldProblem } from '../interfaces/field-problem.interface';
import { SmtpSettingsError } from './smtp-settings.error';

/** What is wrong with a cursor that no page gave. */
export const CURSOR_PROBLEM: FieldProblem = {
  field: 'cursor',
  message: 'cursor must be the nextCursor of an earlier page',
};

/** A send log cursor that no page gave (forged, cut short, from another version): nothing was read. */
export class InvalidCursorError extends SmtpSettingsError {
  readonly code = 'INVALID_CURSOR';
  readonly problems: FieldProblem[] = [CURSOR_PROBLEM];

  constructor() {
    super(CURSOR_PROBLEM.message);
  }

  override toResponse() {
    return { message: this.problems.map((p) => p.message), errors: this.problems };
  }
}
