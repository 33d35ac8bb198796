import { InvalidTenantError } from '../errors/invalid-tenant.error';

/** Safe in a file name, a log line, a SQL value and a URL, with no escaping. */
const TENANT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const MAX_LENGTH = 64;

/**
 * Returns `id` when it is a valid tenant id: 1 to 64 characters from `[A-Za-z0-9._-]`, the first a
 * letter or digit (so never `.`, `..` or a hidden file name). Otherwise throws an
 * `SmtpSettingsError` with code `INVALID_TENANT` (400), naming the problem and `source` (where the
 * id came from), and quoting at most 64 characters of it.
 */
export function assertTenantId(id: unknown, source = 'the tenant id'): string {
  if (typeof id === 'string' && TENANT_ID.test(id)) return id;
  throw new InvalidTenantError(`${source} ${problemOf(id)}`);
}

function problemOf(id: unknown): string {
  if (typeof id !== 'string') return `must be a string, not ${id === null ? 'null' : typeof id}`;
  if (id.length === 0) return 'is empty';
  const shown = JSON.stringify(id.slice(0, MAX_LENGTH)) + (id.length > MAX_LENGTH ? '...' : '');
  if (id.length > MAX_LENGTH) {
    return `is ${id.length} characters long, more than ${MAX_LENGTH}: ${shown}`;
  }
  if (!/^[A-Za-z0-9]/.test(id)) return `must start with a letter or digit: ${shown}`;
  return `may hold only letters, digits, ".", "_" and "-": ${shown}`;
}
