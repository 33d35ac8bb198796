import { TokenRequestFailedError } from '../../errors/token-request-failed.error';
import { httpsRequest } from '../../internal/https-request';

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
  return async (url, init = {}) => {
    if (String(url) !== googleTokenUrl) throw new Error('only the token endpoint may be asked');
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    headers['content-type'] ??= 'application/x-www-form-urlencoded';
    const answer = await httpsRequest({
      method: init.method ?? 'POST',
      url: target,
      headers,
      body: String(init.body ?? ''),
      ca,
      timeoutMs: TIMEOUT_MS,
      signal: init.signal ?? undefined,
    });
    const type = answer.headers['content-type'];
    return new Response(answer.body, {
      status: answer.status || 502,
      headers: type ? { 'content-type': type } : {},
    });
  };
}
