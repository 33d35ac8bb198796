import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { request, type Agent } from 'node:https';

/** One HTTPS request of the module: a token endpoint, Entra ID's metadata, Microsoft Graph. */
export interface HttpsRequest {
  method: string;
  url: string | URL;
  headers?: OutgoingHttpHeaders;
  body?: string | Buffer;
  /** Extra CAs to verify the server against; undefined: the system's. Verification is never off. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Kept-alive connections to share; undefined: a connection of its own. */
  agent?: Agent;
  /** The longest the request waits on each step: connecting, then each chunk of the answer. */
  timeoutMs: number;
  /** Stops the request (and its connection) when it aborts before the answer is in. */
  signal?: AbortSignal;
}

/** What the server answered, whatever its status. */
export interface HttpsAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * A failure before the server answered. `written`: the whole request had gone out, so the server
 * may have acted on it; `connected`: the connection was up, TLS included. Its message names the
 * host and never a header or the body, where tokens and secrets travel.
 */
export class HttpsRequestError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly host: string,
    readonly written: boolean,
    readonly connected: boolean,
  ) {
    super(message);
    this.name = 'HttpsRequestError';
  }
}

/** Sends one request over HTTPS with Node's own client; the answer is read whole. */
export function httpsRequest(options: HttpsRequest): Promise<HttpsAnswer> {
  const url = new URL(options.url);
  const host = url.host;
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(stopped(host, false, false));
  return new Promise<HttpsAnswer>((resolve, reject) => {
    let written = false;
    let connected = false;
    const fail = (error: Error) => reject(failure(error, host, written, connected));
    const req = request(
      url,
      {
        method: options.method,
        headers: options.headers,
        timeout: options.timeoutMs,
        ...(options.agent ? { agent: options.agent } : {}),
        ...(options.ca ? { ca: options.ca } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
        res.on('error', (error) => reject(failure(error, host, true, true)));
      },
    );
    req.on('socket', (socket) => {
      // A kept-alive socket is up already; a new one once its TLS handshake is done.
      if (req.reusedSocket) connected = true;
      else socket.once('secureConnect', () => void (connected = true));
    });
    req.on('finish', () => void (written = true));
    req.on('timeout', () =>
      req.destroy(
        Object.assign(new Error(`${host} did not answer in time`), { code: 'ETIMEDOUT' }),
      ),
    );
    req.on('error', fail);
    const stop = () => req.destroy(stopped(host, written, connected));
    signal?.addEventListener('abort', stop, { once: true });
    req.once('close', () => signal?.removeEventListener('abort', stop));
    req.end(options.body);
  });
}

function failure(
  error: Error,
  host: string,
  written: boolean,
  connected: boolean,
): HttpsRequestError {
  if (error instanceof HttpsRequestError) return error;
  const code = (error as { code?: string }).code ?? 'ECONNECTION';
  const reason = error.message.split('\n')[0]!.slice(0, 200);
  return new HttpsRequestError(`${host}: ${reason}`, code, host, written, connected);
}

/** The request was stopped by its caller (a deadline, a shutdown) before the server answered. */
function stopped(host: string, written: boolean, connected: boolean): HttpsRequestError {
  return new HttpsRequestError(
    `${host}: the request was stopped before the server answered`,
    'ABORT_ERR',
    host,
    written,
    connected,
  );
}
