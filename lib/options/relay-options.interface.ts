import type { SMTPPoolOptions } from 'nodemailer';
import type { RateLimit } from './rate-limit.interface';

/** The vendor relay (Amazon SES in the product) that mail goes through while no custom settings are saved. */
export interface SmtpRelayOptions {
  /** An `smtp://` or `smtps://` URL, or nodemailer SMTP options. Pooling is always on. */
  transport: string | SMTPPoolOptions;
  /**
   * The sender of messages that name none.
   * @default none: such messages fail with `SENDER_REQUIRED` before anything is sent
   */
  from?: string;
  /**
   * The most unique envelope recipients (to, cc and bcc) one message may have on the relay.
   * Amazon SES allows 50. Never applied to a customer's own SMTP server.
   * @default 50
   */
  maxRecipients?: number;
  /**
   * `reject`: a message over the limit fails with `RecipientLimitExceededError` before anything is
   * sent. `split`: it goes out in envelope batches of at most `maxRecipients`.
   * @default 'reject'
   */
  recipientPolicy?: 'reject' | 'split';
  /**
   * At most `limit` messages in any window of `windowMs` through the relay (Amazon SES gives one per
   * second, such as `{ limit: 14, windowMs: 1000 }`). The outbox enforces it across every worker of
   * every replica.
   * @default no limit
   */
  rateLimit?: RateLimit;
}

/** What happens to a message with more recipients than the relay allows. */
export type RecipientPolicy = NonNullable<SmtpRelayOptions['recipientPolicy']>;
