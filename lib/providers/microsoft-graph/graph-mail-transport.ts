import type { MailMessage, SentMessageInfo, Transport } from 'nodemailer';
import { DeliveryUncertainError } from '../../errors/delivery-uncertain.error';
import { PACKAGE_VERSION } from '../../internal/package-version';
import type { TokenSource } from '../oauth/access-token';
import { HttpsRequestError } from '../../internal/https-request';
import type { GraphAnswer, GraphClient } from './graph-client';
import { explainGraphAnswer, type GraphFailure } from './graph-errors';
import { GraphAttemptBound } from './graph-attempt';
import { GraphSendError } from '../../errors/graph-send.error';
import type { RequestGate } from './request-gate';

/** Microsoft Graph's hosts: worldwide, US Government L4 and L5 (DoD), 21Vianet. */
const MICROSOFT_GRAPH_HOSTS = [
  'graph.microsoft.com',
  'graph.microsoft.us',
  'dod-graph.microsoft.us',
  'microsoftgraph.chinacloudapi.cn',
];

/**
 * Microsoft Graph takes at most 4 MB in one request: with base64, a MIME message of about 3 MB.
 * Larger messages are refused before sending (Graph's upload sessions are not used).
 */
export const GRAPH_MAX_REQUEST_BYTES = 4 * 1024 * 1024;

/** A message without recipients, never saved: the mailbox check. */
const PROBE = JSON.stringify({
  message: {
    subject: 'Mailbox check',
    body: { contentType: 'Text', content: 'A check of the settings; it has no recipients.' },
    toRecipients: [],
  },
  saveToSentItems: false,
});

const TRANSIENT_NETWORK = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
]);
const CERTIFICATE = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ALTNAME/;

export interface GraphMailSpec {
  client: GraphClient;
  /** The mailbox that sends: every message leaves from it. */
  mailbox: string;
  tokens: TokenSource;
  /** At most 4 requests at once per mailbox, across the tenant's channels and admin checks. */
  gate: RequestGate;
  /** Runs once, when the transport closes. */
  onClose?: () => void;
  /**
   * The deadline of each send (`attemptTimeoutMs`), for the live transport's channels, whose
   * caller's signal is the outbox interrupting its attempts at shutdown. Admin transports have
   * none: their caller's signal is the admin action's own limit.
   */
  attemptTimeoutMs?: number;
}

/**
 * A nodemailer transport that sends the message nodemailer composed, headers included, through
 * `POST /v1.0/users/{mailbox}/sendMail` as base64 MIME. It makes one attempt; the channel retries.
 * The attempt ends at its deadline or when the message's `signal` aborts, its request destroyed.
 */
export class GraphMailTransport implements Transport<SentMessageInfo> {
  readonly name = 'nest-smtp-settings/microsoft-graph';
  readonly version = PACKAGE_VERSION;
  /** nodemailer's mark for a transport that stops a message when its `signal` aborts. */
  readonly supportsAbortSignal = true;

  private closed = false;

  constructor(private readonly spec: GraphMailSpec) {}

  send(mail: MailMessage, callback: (error: Error | null, info?: SentMessageInfo) => void): void {
    this.deliver(mail).then(
      (info) => callback(null, info),
      (error: Error) => callback(error),
    );
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.spec.client.close();
    this.spec.onClose?.();
  }

  /**
   * Whether the app may send as the mailbox, without sending: Mail.Send allows no read, so this is
   * a sendMail without recipients, which Exchange refuses for that reason only once it found the
   * mailbox and the app's permission for it (`ErrorInvalidRecipients`).
   */
  async probe(): Promise<GraphFailure | null> {
    const { client, mailbox, tokens, gate } = this.spec;
    const token = (await tokens(false)).accessToken;
    const answer = await gate
      .run(() => client.postToMailbox(mailbox, 'sendMail', token, PROBE, 'application/json'))
      .catch((error: unknown) => {
        throw networkFailure(error, client.host);
      });
    if (answer.status === 202) return null;
    const failure = explainGraphAnswer(answer, { mailbox, host: new URL(client.host).host });
    return failure.code === 'ErrorInvalidRecipients' ? null : failure;
  }

  private async deliver(mail: MailMessage): Promise<SentMessageInfo> {
    const { client, attemptTimeoutMs } = this.spec;
    const bound = new GraphAttemptBound(
      client.host,
      attemptTimeoutMs,
      mail.data.signal ?? undefined,
    );
    try {
      return await this.attempt(mail, bound);
    } finally {
      bound.dispose();
    }
  }

  private async attempt(mail: MailMessage, bound: GraphAttemptBound): Promise<SentMessageInfo> {
    const { client, mailbox } = this.spec;
    if (mail.data.envelope) {
      throw new GraphSendError(
        'Microsoft Graph sends to the To, Cc and Bcc of the message only: a separate envelope cannot be honoured',
        { code: 'ENVELOPE_NOT_SUPPORTED', stage: 'recipients' },
      );
    }
    // Graph reads the recipients from the MIME: Bcc must be in it (Exchange does not show it).
    mail.message.keepBcc = true;
    const envelope = mail.message.getEnvelope();
    if (envelope.to.length === 0) {
      throw new GraphSendError('the message has no recipients', {
        code: 'EENVELOPE',
        stage: 'recipients',
      });
    }
    const body = (
      await bound.race(mail.message.build()).catch(stopOr(bound, client.host))
    ).toString('base64');
    if (body.length > GRAPH_MAX_REQUEST_BYTES) {
      throw new GraphSendError(
        `the message is ${megabytes(body.length)} MB once base64-encoded, over the 4 MB Microsoft Graph takes in one request: send attachments as links, or send it with SMTP`,
        { code: 'MESSAGE_TOO_LARGE', stage: 'message' },
      );
    }
    const answer = await this.post(body, bound).catch(stopOr(bound, client.host));
    if (answer.status === 202 || answer.status === 200) {
      return {
        messageId: mail.message.messageId(),
        envelope,
        accepted: envelope.to,
        rejected: [],
        response: `${answer.status} Accepted by ${new URL(client.host).host}`,
      };
    }
    const failure = explainGraphAnswer(answer, { mailbox, host: new URL(client.host).host });
    if (failure.uncertain) {
      throw new DeliveryUncertainError(new URL(client.host).host, {
        code: failure.code,
        message: failure.message,
      });
    }
    throw new GraphSendError(failure.message, {
      ...failure,
      transient:
        failure.retryAfterMs !== undefined || failure.status === 429 || failure.status === 503,
    });
  }

  /** The token, a turn at the mailbox's gate, and the request: each stops with the attempt. */
  private async post(body: string, bound: GraphAttemptBound): Promise<GraphAnswer> {
    const { client, mailbox, tokens, gate } = this.spec;
    const token = (await bound.race(tokens(false))).accessToken;
    return gate.run(
      () => client.postToMailbox(mailbox, 'sendMail', token, body, 'text/plain', bound.signal),
      bound.signal,
    );
  }
}

/** A step's failure: what the attempt's stop means when it was stopped, else what the step said. */
function stopOr(bound: GraphAttemptBound, graphHost: string): (error: unknown) => never {
  return (error) => {
    throw bound.failure(error) ?? networkFailure(error, graphHost);
  };
}

/** A request that Graph never answered: uncertain once it was all written, else not sent. */
export function networkFailure(error: unknown, graphHost: string): Error {
  if (!(error instanceof HttpsRequestError)) return error as Error;
  const host = new URL(graphHost).host;
  if (error.written) return new DeliveryUncertainError(host, error);
  if (CERTIFICATE.test(error.code)) {
    return new GraphSendError(
      `the certificate of ${host} is not trusted (${error.code}): check microsoft.graphHost, or add your proxy's CA to tls.ca`,
      { code: error.code, stage: 'tls' },
    );
  }
  if (error.code === 'ENOTFOUND') {
    // Microsoft's own Graph hosts are right: then the product's host cannot resolve names.
    const message = MICROSOFT_GRAPH_HOSTS.includes(host)
      ? `this server could not look up ${host}, Microsoft Graph's own hostname: check the network or DNS of the product's host`
      : `${host} could not be found in DNS: check microsoft.graphHost`;
    return new GraphSendError(message, { code: error.code, stage: 'dns' });
  }
  return new GraphSendError(`could not reach Microsoft Graph at ${host}: ${error.message}`, {
    code: error.code,
    stage: 'connect',
    transient: TRANSIENT_NETWORK.has(error.code),
  });
}

function megabytes(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}
