import { Agent } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { httpsRequest } from '../../internal/https-request';

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
   * the answer is in, the request and its connection are destroyed: an `HttpsRequestError` with code
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

  private async send(
    url: string,
    token: string,
    body: string,
    contentType: string,
    signal?: AbortSignal,
  ): Promise<GraphAnswer> {
    const answer = await httpsRequest({
      method: 'POST',
      url,
      agent: this.agent,
      timeoutMs: this.options.timeoutMs,
      signal,
      // The token is in a header only: no error of the request can carry it.
      headers: {
        Authorization: `Bearer ${token}`,
        'Content-Type': contentType,
        'Content-Length': Buffer.byteLength(body),
      },
      body,
    });
    return { ...answer, body: answer.body.toString('utf8') };
  }
}
