import type { Address, MailMessage, SentMessageInfo, Transporter } from 'nodemailer';
import type { SmtpAuthType } from '../settings/smtp-settings.types';
import type { RecipientPolicy } from './relay-options.interface';
import type { SlidingWindowLimiter } from './sliding-window-limiter';

export type RouteKind = 'relay' | 'custom';

/** The sender and reply-to that messages get when they name none. */
export interface RouteDefaults {
  from?: string | Address;
  replyTo?: string;
}

/** The relay's recipient limit; custom routes have none. */
export interface RouteLimit {
  maxRecipients: number;
  policy: RecipientPolicy;
}

export interface RouteSpec {
  kind: RouteKind;
  version: number;
  /** A pooled nodemailer transporter; its pool is what sends. */
  transporter: Transporter;
  defaults: RouteDefaults;
  limit?: RouteLimit;
  authType?: SmtpAuthType;
  /**
   * Makes credentials ready before a message goes out (a Bearer token); `renew` after the server
   * rejected them. Errors surface here, at their own stage, rather than as a generic AUTH failure.
   */
  prepare?: (renew: boolean) => Promise<void>;
  /** Paces sends to a mailbox's limit; messages wait in order rather than fail. */
  limiter?: SlidingWindowLimiter;
}

/**
 * One pooled transporter for one version of the settings. When the settings change it is retired:
 * it takes no new messages, finishes the ones it has, and closes once the last one is done.
 */
export class SmtpRoute {
  private inflight = 0;
  private retired = false;

  constructor(private readonly spec: RouteSpec) {}

  get kind(): RouteKind {
    return this.spec.kind;
  }
  get version(): number {
    return this.spec.version;
  }
  get defaults(): RouteDefaults {
    return this.spec.defaults;
  }
  get limit(): RouteLimit | undefined {
    return this.spec.limit;
  }
  get authType(): SmtpAuthType | undefined {
    return this.spec.authType;
  }

  prepare(renew = false): Promise<void> {
    return this.spec.prepare?.(renew) ?? Promise.resolve();
  }

  /** One attempt, handed straight to the pool: the message is compiled once, by the caller's Mail. */
  async send(mail: MailMessage): Promise<SentMessageInfo> {
    await this.spec.limiter?.acquire();
    return new Promise((resolve, reject) => {
      this.spec.transporter.transporter.send(mail, (error, info) =>
        error ? reject(error) : resolve(info!),
      );
    });
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
