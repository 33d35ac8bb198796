import { request } from 'node:https';
import { TokenRequestFailedError } from '../errors/token-request-failed.error';

/** What gaxios hands its fetch implementation, as far as a token request uses it. */
interface FetchInit {
  method?: string;
  headers?: Headers | Record<string, string>;
  body?: unknown;
  signal?: AbortSignal | null;
}

const TIMEOUT_MS = 30_000;

/**
 * A `fetch` for google-auth-library's HTTP client (gaxios) that sends the token request to
 * `tokenUrl` over HTTPS with the trusted CAs (`undefined`: the system's). It reaches nothing else:
 * the JWT client asks Google's token endpoint only, and any other URL is refused.
 */
export function httpsTokenFetch(
  googleTokenUrl: string,
  tokenUrl: string,
  ca: Array<string | Buffer> | undefined,
): (url: string | URL, init?: FetchInit) => Promise<Response> {
  const target = new URL(tokenUrl);
  if (target.protocol !== 'https:') {
    throw new TokenRequestFailedError(
      'TOKEN_URL_INVALID',
      'google.tokenUrl must be an https:// URL',
    );
  }
  return (url, init = {}) => {
    if (String(url) !== googleTokenUrl) {
      return Promise.reject(new Error('only the token endpoint may be asked'));
    }
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    headers['content-type'] ??= 'application/x-www-form-urlencoded';
    const body = String(init.body ?? '');
    return new Promise((resolve, reject) => {
      const req = request(
        target,
        {
          method: init.method ?? 'POST',
          headers,
          ca,
          timeout: TIMEOUT_MS,
          signal: init.signal ?? undefined,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const type = res.headers['content-type'];
            resolve(
              new Response(Buffer.concat(chunks), {
                status: res.statusCode ?? 502,
                headers: type ? { 'content-type': type } : {},
              }),
            );
          });
        },
      );
      req.on('timeout', () =>
        req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })),
      );
      req.on('error', reject);
      req.end(body);
    });
  };
}
