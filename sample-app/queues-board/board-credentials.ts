import type { IncomingHttpHeaders } from 'node:http';
import type { AdminToken, SampleAdmin } from '../admin-token';
import { DEFAULT_TENANT } from '../admin-tokens.config';

/** Where Bull Board is served; its page, assets and API all live under it. */
export const QUEUES_BOARD_PATH = '/admin/queues';

/** The HttpOnly cookie the sign-in form sets, sent back only to the board's own path. */
export const BOARD_COOKIE = 'queues_board_token';

/**
 * The admin token of a request to the board: `Authorization: Bearer` (curl, scripts) or the
 * board's cookie (a browser, whose board page cannot add a header to its own requests).
 */
export function boardToken(
  headers: IncomingHttpHeaders | Record<string, unknown>,
): string | undefined {
  const header = headers['authorization'];
  const bearer = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] : undefined;
  if (bearer) return bearer;
  const cookies = typeof headers['cookie'] === 'string' ? headers['cookie'].split(';') : [];
  for (const cookie of cookies) {
    const [name, ...value] = cookie.trim().split('=');
    if (name === BOARD_COOKIE && value.length > 0) {
      try {
        return decodeURIComponent(value.join('='));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** The admin a request to the board comes from, or `undefined`. */
export function boardAdmin(
  tokens: AdminToken,
  headers: IncomingHttpHeaders | Record<string, unknown>,
): SampleAdmin | undefined {
  const token = boardToken(headers);
  return token === undefined ? undefined : tokens.adminOf(token);
}

/** The default tenant's admin acts on the queue; any other tenant's admin only looks at it. */
export function canActOnQueue(admin: SampleAdmin | undefined): boolean {
  return admin?.tenantId === DEFAULT_TENANT;
}
