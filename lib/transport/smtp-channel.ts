import type { MailMessage, SentMessageInfo, Transporter } from 'nodemailer';
import { RecipientLimitExceededError } from '../errors/recipient-limit-exceeded.error';
import type { ChannelKind, SendResult } from '../interfaces/send-result.interface';
import type { SmtpAuthType } from '../interfaces/smtp-settings.types';
import type { TokenSource } from '../providers/oauth/access-token';
import type { RecipientPolicy } from '../options/relay-options.interface';
import type { SmtpRetryOptions } from '../options/retry-options.interface';
import { sendInBatches } from './batched-delivery';
import { sendWithRetry, type DeliveryRun } from './delivery-attempts';
import { applyMessageDefaults, type MessageDefaults } from './message-defaults';
import { sendOnPool } from './pool-attempt';
import { uniqueRecipients } from './recipient-policy';
import { toSendResult } from './send-result';
import type { SlidingWindowLimiter } from './sliding-window-limiter';
import type { ExplainTarget } from '../diagnosis/explain-target.interface';

export type { ChannelKind } from '../interfaces/send-result.interface';

/** The server a channel reaches, as failures are explained against it. */
export type ChannelTarget = ExplainTarget;

/** The relay's recipient limit, and a provider's (its descriptor's `recipientLimit`: Google's). */
export interface ChannelLimit {
  maxRecipients: number;
  policy: RecipientPolicy;
  /** Who sets the limit, in a refusal's words; the default mail relay when left out. */
  route?: string;
}

export interface ChannelSpec {
  kind: ChannelKind;
  version: number;
  target: ChannelTarget;
  /** A pooled nodemailer transporter; its pool is what sends. */
  transporter: Transporter;
  defaults: MessageDefaults;
  limit?: ChannelLimit;
  authType?: SmtpAuthType;
  /** The tokens the pool signs in with (Bearer): the same source, so a renewal reaches the pool. */
  tokens?: TokenSource;
  /** Paces sends to a mailbox's limit; messages wait in order rather than fail. */
  limiter?: SlidingWindowLimiter;
  retry?: SmtpRetryOptions;
  /**
   * The deadline of each attempt (`attemptTimeoutMs`); past it the pool closes the connection. Only
   * for transporters that stop a message when its signal aborts, as nodemailer's SMTP pool does.
   */
  attemptTimeoutMs?: number;
}

/**
 * One way out for mail: a pooled transporter for one version of the settings (or the relay), with
 * its defaults, its recipient limit, its tokens and its retries. When the settings change it is
 * retired: it takes no new messages, finishes the ones it has, and closes once the last is done.
 */
export class SmtpChannel {
  private holders = 0;
  private isRetired = false;
  private isClosed = false;
  private readonly closeListeners: Array<() => void> = [];

  constructor(private readonly spec: ChannelSpec) {}

  get kind(): ChannelKind {
    return this.spec.kind;
  }
  get version(): number {
    return this.spec.version;
  }
  get authType(): SmtpAuthType | undefined {
    return this.spec.authType;
  }
  /** The server it reaches, as failures are explained (and telemetry names it). */
  get target(): ChannelTarget {
    return this.spec.target;
  }
  /** Messages holding the channel now. */
  get inflight(): number {
    return this.holders;
  }
  get retired(): boolean {
    return this.isRetired;
  }
  /** Its pool is closed: a message must take another channel. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Runs once the pool is closed (at once when it already is): tokens and budgets let go. */
  onClose(listener: () => void): void {
    if (this.isClosed) listener();
    else this.closeListeners.push(listener);
  }

  /**
   * Sends one message: the sender defaults, the recipient limit (refused, or split into batches),
   * and each envelope retried.
   */
  async deliver(mail: MailMessage, run: DeliveryRun): Promise<SendResult> {
    applyMessageDefaults(mail, this.spec.defaults);
    const sendOne = () => this.sendEnvelope(mail, run);
    const limit = this.spec.limit;
    // Only the relay and some providers have a limit. getEnvelope() parses every address header again, which costs
    // about a tenth of the CPU nodemailer spends on a message: custom channels skip it.
    if (limit) {
      const envelope = mail.message.getEnvelope();
      const recipients = uniqueRecipients(envelope.to);
      if (recipients.length > limit.maxRecipients) {
        if (limit.policy === 'reject')
          throw new RecipientLimitExceededError(
            recipients.length,
            limit.maxRecipients,
            limit.route,
          );
        return sendInBatches(mail, recipients, limit.maxRecipients, sendOne, this);
      }
      // The relay counts RCPT TO: send each recipient once, as counted (case-insensitively).
      if (recipients.length < envelope.to.length)
        mail.message.setEnvelope({ from: envelope.from, to: recipients });
    }
    return toSendResult(await sendOne(), this);
  }

  /**
   * Takes a message for the whole of its delivery, retries included, so the pool stays open;
   * `done` runs when the work has ended, before the channel lets go of it.
   */
  async hold<T>(work: () => Promise<T>, done?: () => void): Promise<T> {
    this.holders++;
    try {
      return await work();
    } finally {
      done?.();
      this.holders--;
      if (this.isRetired && this.holders === 0) this.close();
    }
  }

  retire(): void {
    this.isRetired = true;
    if (this.holders === 0) this.close();
  }

  private close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.spec.transporter.close();
    for (const listener of this.closeListeners.splice(0)) listener();
  }

  /**
   * One envelope, retried. A token is made ready before each attempt, so that a sign-in problem
   * surfaces at its own stage rather than as a generic AUTH failure; the token the server refused
   * is renewed once.
   */
  private sendEnvelope(mail: MailMessage, run: DeliveryRun): Promise<SentMessageInfo> {
    const { tokens, limiter, target, transporter, retry, attemptTimeoutMs } = this.spec;
    let token: string | undefined;
    const send = () => sendOnPool(transporter, mail, target, attemptTimeoutMs);
    // A Basic channel without a limiter has nothing to wait for: straight to the pool, with no
    // async wrapper and no await of undefined (two promises a message).
    const attempt =
      tokens || limiter
        ? async () => {
            token = undefined;
            if (tokens) token = (await tokens(false)).accessToken;
            if (limiter) await limiter.acquire(run.signal);
            return send();
          }
        : send;
    const renewToken = tokens && (() => tokens(true, token));
    return sendWithRetry(attempt, { retry, target, renewToken }, run);
  }
}
