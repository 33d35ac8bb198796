import type { FieldProblem } from '../interfaces/field-problem.interface';
import { changedDestination } from './secret-destination';
import type { SmtpSettingsDto } from './validation/smtp-settings.dto';
import type { SealedSmtpSettings } from '../interfaces/smtp-settings.types';
import { secretFieldOf, secretOf } from './secret-field';

/**
 * The problem with an omitted secret, listed with the body's other problems. An omitted secret
 * reuses the stored one only when it would go where it was approved to go: the same type, provider,
 * server, account, TLS and application (or service account). Otherwise the admin must enter it again, so that a stored secret
 * is never sent to a server, or over a connection, that the admin did not approve it for.
 *
 * `others` are the body's other problems. A destination field with a problem of its own is still
 * compared: a different value, right or wrong, sends the secret somewhere else.
 */
export function secretProblems(
  dto: SmtpSettingsDto,
  stored: SealedSmtpSettings | null,
  others: readonly FieldProblem[],
): FieldProblem[] {
  const field = secretFieldOf(dto);
  if (secretOf(dto) !== undefined || others.some((p) => p.field === field)) return [];
  if (stored === null || secretFieldOf(stored) !== field) {
    return [{ field, message: `${field} is required` }];
  }
  const changed = changedDestination(stored, dto);
  if (changed.length === 0) return [];
  return [{ field, message: `${field} must be re-entered because ${listOf(changed)} changed` }];
}

/** "a", "a and b", "a, b and c". */
function listOf(items: string[]): string {
  return items.length < 2
    ? items.join('')
    : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}
