import type { Address, MailMessage, SentMessageInfo, Transporter } from 'nodemailer';
import type { Readable } from 'node:stream';
import type { SmtpAuthType } from '../interfaces/smtp-settings.types';
import type { explainSmtpFailure } from './verify/explain-smtp-failure';
import { DeliveryUncertainError } from '../errors/delivery-uncertain.error';
import type { RecipientPolicy } from '../options/relay-options.interface';
import { isUncertainAfterData } from './retry-policy';
import type { SlidingWindowLimiter } from './sliding-window-limiter';

export type ChannelKind = 'relay' | 'custom';

/** The server a route reaches, as failures are explained against it. */
export type ChannelTarget = Parameters<typeof explainSmtpFailure>[1];

/** The sender and reply-to that messages get when they name none. */
export interface ChannelDefaults {
  from?: string | Address;
  replyTo?: string;
}

/** The relay's recipient limit; custom routes have none. */
export interface ChannelLimit {
  maxRecipients: number;
  policy: RecipientPolicy;
}

export interface ChannelSpec {
  kind: ChannelKind;
  version: number;
  target: ChannelTarget;
  /** A pooled nodemailer transporter; its pool is what sends. */
  transporter: Transporter;
  defaults: ChannelDefaults;
  limit?: ChannelLimit;
  authType?: SmtpAuthType;
  /**
   * Makes credentials ready before a message goes out (a Bearer token, which it resolves to);
   * `renew` after the server rejected `rejected`. Errors surface here, at their own stage, rather
   * than as a generic AUTH failure.
   */
  prepare?: (renew: boolean, rejected?: string) => Promise<string | undefined>;
  /** Paces sends to a mailbox's limit; messages wait in order rather than fail. */
  limiter?: SlidingWindowLimiter;
}

/**
 * One pooled transporter for one version of the settings. When the settings change it is retired:
 * it takes no new messages, finishes the ones it has, and closes once the last one is done.
 */
export class SmtpChannel {
  private inflight = 0;
  private retired = false;

  constructor(private readonly spec: ChannelSpec) {}

  get kind(): ChannelKind {
    return this.spec.kind;
  }
  get version(): number {
    return this.spec.version;
  }
  get defaults(): ChannelDefaults {
    return this.spec.defaults;
  }
  get limit(): ChannelLimit | undefined {
    return this.spec.limit;
  }
  get authType(): SmtpAuthType | undefined {
    return this.spec.authType;
  }
  get target(): ChannelTarget {
    return this.spec.target;
  }

  prepare(renew = false, rejected?: string): Promise<string | undefined> {
    return this.spec.prepare?.(renew, rejected) ?? Promise.resolve(undefined);
  }

  /**
   * One attempt, handed straight to the pool: the message is compiled once, by the caller's Mail.
   * A failure after the whole message was written, without a reply, throws DeliveryUncertainError.
   */
  async send(mail: MailMessage, signal?: AbortSignal): Promise<SentMessageInfo> {
    await this.spec.limiter?.acquire(signal);
    const message = mail.message;
    const original = message.createReadStream;
    let written = false;
    // The pool reads a fresh stream per attempt; its end means every byte went to the socket.
    message.createReadStream = function (this: typeof message, ...args) {
      const stream: Readable = original.apply(this, args);
      stream.once('end', () => void (written = true));
      return stream;
    };
    try {
      return await new Promise<SentMessageInfo>((resolve, reject) => {
        this.spec.transporter.transporter.send(mail, (error, info) =>
          error ? reject(error) : resolve(info!),
        );
      });
    } catch (error) {
      if (written && isUncertainAfterData(error)) {
        const { hostname, port } = this.spec.target;
        throw new DeliveryUncertainError(`${hostname}:${port}`, error);
      }
      throw error;
    } finally {
      message.createReadStream = original;
    }
  }

  /** Takes a message for the whole of its delivery, retries included, so the pool stays open. */
  async hold<T>(work: () => Promise<T>): Promise<T> {
    this.inflight++;
    try {
      return await work();
    } finally {
      this.inflight--;
      if (this.retired && this.inflight === 0) this.spec.transporter.close();
    }
  }

  retire(): void {
    this.retired = true;
    if (this.inflight === 0) this.spec.transporter.close();
  }
}
