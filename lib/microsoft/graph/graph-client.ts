import { Agent, request } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';

/** What Microsoft Graph answered. */
export interface GraphAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface GraphClientOptions {
  /** `https://graph.microsoft.com`, or a national cloud's Graph host. */
  host: string;
  /** The CAs to verify Graph's certificate against; undefined: the system's. */
  ca?: Array<string | Buffer>;
  /** The longest a request may wait for each step (connect, each chunk of the answer). */
  timeoutMs: number;
  /** Requests at once over this client's connections; more wait for a free one. */
  maxSockets?: number;
}

/**
 * A failure before Graph answered. `written`: the whole request had gone out, so Graph may have
 * acted on it; otherwise it certainly did not. `connected`: the connection was up (TLS included),
 * so the request had begun to go.
 */
export class GraphNetworkError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly written: boolean,
    readonly connected = written,
  ) {
    super(message);
    this.name = 'GraphNetworkError';
  }
}

/**
 * HTTPS to Microsoft Graph, always verified: the certificate and the host name are checked against
 * the system's CAs plus the module's `tls.ca`. Connections are kept alive and closed with the client.
 */
export class GraphClient {
  private readonly agent: Agent;
  readonly host: string;

  constructor(private readonly options: GraphClientOptions) {
    this.host = options.host.replace(/\/+$/, '');
    if (!this.host.startsWith('https://')) {
      throw new Error(`microsoft.graphHost must be an https:// URL, not ${this.host}`);
    }
    this.agent = new Agent({
      keepAlive: true,
      maxSockets: options.maxSockets ?? 4,
      ...(options.ca ? { ca: options.ca } : {}),
    });
  }

  /** The token audience Graph expects, and the scope its tokens are asked for. */
  get scope(): string {
    return `${this.host}/.default`;
  }

  /**
   * `POST {host}/v1.0/users/{mailbox}/{action}` with a Bearer token. When `signal` aborts before
   * the answer is in, the request and its connection are destroyed: a `GraphNetworkError` with code
   * `ABORT_ERR` that tells how far the request got.
   */
  postToMailbox(
    mailbox: string,
    action: string,
    token: string,
    body: string,
    contentType: string,
    signal?: AbortSignal,
  ): Promise<GraphAnswer> {
    const url = `${this.host}/v1.0/users/${encodeURIComponent(mailbox)}/${action}`;
    return this.send(url, token, body, contentType, signal);
  }

  close(): void {
    this.agent.destroy();
  }

  private send(
    url: string,
    token: string,
    body: string,
    contentType: string,
    signal?: AbortSignal,
  ): Promise<GraphAnswer> {
    const host = new URL(url).host;
    if (signal?.aborted) return Promise.reject(stopped(host, false, false));
    return new Promise<GraphAnswer>((resolve, reject) => {
      let written = false;
      let connected = false;
      const req = request(
        url,
        {
          method: 'POST',
          agent: this.agent,
          timeout: this.options.timeoutMs,
          headers: {
            Authorization: `Bearer ${token}`,
            'Content-Type': contentType,
            'Content-Length': Buffer.byteLength(body),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          res.on('error', (error) => reject(networkError(error, host, true)));
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
      // The token is in a header only: no error below can carry it.
      req.on('error', (error) => reject(networkError(error, host, written, connected)));
      const stop = () => req.destroy(stopped(host, written, connected));
      signal?.addEventListener('abort', stop, { once: true });
      const settled = () => signal?.removeEventListener('abort', stop);
      req.once('close', settled);
      req.end(body);
    });
  }
}

function networkError(
  error: Error,
  host: string,
  written: boolean,
  connected = written,
): GraphNetworkError {
  if (error instanceof GraphNetworkError) return error;
  const code = (error as { code?: string }).code ?? 'ECONNECTION';
  const reason = error.message.split('\n')[0]!.slice(0, 200);
  return new GraphNetworkError(`${host}: ${reason}`, code, written, connected);
}

/** The request was stopped by its caller (a deadline, a shutdown) before Graph answered. */
function stopped(host: string, written: boolean, connected: boolean): GraphNetworkError {
  return new GraphNetworkError(
    `${host}: the request was stopped before Microsoft Graph answered`,
    'ABORT_ERR',
    written,
    connected,
  );
}
