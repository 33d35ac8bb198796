import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdminToken } from '../admin-token';
import { BOARD_COOKIE, boardAdmin, canActOnQueue, QUEUES_BOARD_PATH } from './board-credentials';
import { SIGN_IN_CSP, signInPage } from './sign-in-page';

/** What Express adds to Node's request that the middleware reads. */
type BoardRequest = IncomingMessage & { path: string; secure?: boolean; body?: unknown };
type Next = (error?: unknown) => void;

const READS = new Set(['GET', 'HEAD']);

/**
 * In front of Bull Board: a request without a valid admin token gets the sign-in form (the page)
 * or 401/403 (its API); `POST sign-in` turns a token into the board's cookie. Only the default
 * tenant's admin may change anything: another admin's writes are refused here, whatever the board
 * would do with them.
 */
export function boardAuth(tokens: AdminToken) {
  return (req: BoardRequest, res: ServerResponse, next: Next): void => {
    if (req.method === 'POST' && req.path === '/sign-in') return signIn(tokens, req, res);
    const admin = boardAdmin(tokens, req.headers);
    const api = req.path.startsWith('/api/');
    if (!admin) {
      const status =
        req.headers['authorization'] || req.headers['cookie']?.includes(BOARD_COOKIE) ? 403 : 401;
      if (api)
        return json(
          res,
          status,
          'Send the admin token as Authorization: Bearer <token>, or sign in',
        );
      return html(
        res,
        status,
        signInPage(status === 403 ? 'That admin token is not valid.' : undefined),
      );
    }
    if (!READS.has(req.method ?? '') && !canActOnQueue(admin)) {
      return json(
        res,
        403,
        'The queue is read-only for this admin token: only the default tenant’s admin acts on it',
      );
    }
    next();
  };
}

/** The form's token, checked, becomes an HttpOnly cookie for the board's path only. */
function signIn(tokens: AdminToken, req: BoardRequest, res: ServerResponse): void {
  const token = (req.body as { token?: unknown } | undefined)?.token;
  if (typeof token !== 'string' || !tokens.adminOf(token.trim())) {
    return html(res, 403, signInPage('That admin token is not valid.'));
  }
  const cookie = [
    `${BOARD_COOKIE}=${encodeURIComponent(token.trim())}`,
    `Path=${QUEUES_BOARD_PATH}`,
    'HttpOnly',
    // Never sent by another site's form or fetch: the board's writes need no CSRF token.
    'SameSite=Strict',
    ...(req.secure ? ['Secure'] : []),
  ].join('; ');
  res.statusCode = 303;
  res.setHeader('Set-Cookie', cookie);
  res.setHeader('Location', `${QUEUES_BOARD_PATH}/`);
  res.setHeader('Cache-Control', 'no-store');
  res.end();
}

function json(res: ServerResponse, status: number, message: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify({ statusCode: status, message }));
}

function html(res: ServerResponse, status: number, page: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Security-Policy', SIGN_IN_CSP);
  res.setHeader('Cache-Control', 'no-store');
  res.end(page);
}
