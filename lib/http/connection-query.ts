import { RequestValidationError } from '../errors/request-validation.error';
import type { SmtpConnectionName } from '../interfaces/smtp-connection.interface';

/** `?connection=` of verify and test-email: `main` (or none) or `backup`; nothing else. */
export function parseConnectionQuery(value: unknown): SmtpConnectionName {
  if (value === undefined || value === 'main') return 'main';
  if (value === 'backup') return 'backup';
  throw new RequestValidationError([
    { field: 'connection', message: 'connection must be main or backup' },
  ]);
}
