import { assertTenantId } from '../lib';

/** The tenant of `ADMIN_TOKEN`: what the settings module administers when no tenant is named. */
export const DEFAULT_TENANT = 'default';

/** One admin credential of the sample app, and the tenant it administers. */
export interface AdminTokenEntry {
  token: string;
  tenant: string;
}

/**
 * `ADMIN_TOKEN` (for the tenant `default`) and `ADMIN_TOKENS=token-a:acme,token-b:globex`. Problems
 * name the entry by its position, never by its token, since a token is a secret.
 */
export function parseAdminTokens(
  single: string | undefined,
  list: string | undefined,
  problems: string[],
): AdminTokenEntry[] {
  const entries: AdminTokenEntry[] = single ? [{ token: single, tenant: DEFAULT_TENANT }] : [];
  const parts = (list ?? '').split(',').map((part) => part.trim());
  parts.forEach((part, index) => {
    if (!part) return;
    const where = `ADMIN_TOKENS entry ${index + 1}`;
    // A tenant id holds no colon, so the last one separates it; a token may hold colons.
    const colon = part.lastIndexOf(':');
    if (colon < 0) {
      problems.push(`${where} must be token:tenant, such as token-a:acme`);
      return;
    }
    const token = part.slice(0, colon).trim();
    if (!token) {
      problems.push(`${where} has no token before the colon`);
      return;
    }
    let tenant: string;
    try {
      tenant = assertTenantId(part.slice(colon + 1).trim(), `the tenant of ${where}`);
    } catch (error) {
      problems.push((error as Error).message);
      return;
    }
    if (entries.some((entry) => entry.token === token)) {
      problems.push(`${where} repeats a token given before: each admin token must be different`);
      return;
    }
    entries.push({ token, tenant });
  });
  return entries;
}
