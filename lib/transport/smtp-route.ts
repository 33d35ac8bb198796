import type { Address, MailMessage, SMTPPoolSentMessageInfo } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import type { RecipientPolicy } from './relay-options.interface';

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

/**
 * One pooled transporter for one version of the settings. When the settings change it is retired:
 * it takes no new messages, finishes the ones it has, and closes once the last one is done.
 */
export class SmtpRoute {
  private inflight = 0;
  private retired = false;

  constructor(
    readonly kind: RouteKind,
    readonly version: number,
    private readonly pool: SMTPPool,
    readonly defaults: RouteDefaults,
    readonly limit?: RouteLimit,
  ) {}

  get busy(): number {
    return this.inflight;
  }

  /** One attempt; call it inside `hold`. */
  send(mail: MailMessage): Promise<SMTPPoolSentMessageInfo> {
    return new Promise((resolve, reject) => {
      this.pool.send(mail as MailMessage<SMTPPoolSentMessageInfo>, (error, info) =>
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
      if (this.retired && this.inflight === 0) this.pool.close();
    }
  }

  retire(): void {
    this.retired = true;
    if (this.inflight === 0) this.pool.close();
  }
}
