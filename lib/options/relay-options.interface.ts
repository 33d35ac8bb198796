import type { SMTPPoolOptions } from 'nodemailer';

/** What happens to a message with more recipients than the relay allows. */
export type RecipientPolicy = 'reject' | 'split';

/** The vendor relay (Amazon SES in the product) that mail goes through while no custom settings are saved. */
export interface SmtpRelayOptions {
  /** An `smtp://` or `smtps://` URL, or nodemailer SMTP options. Pooling is always on. */
  transport: string | SMTPPoolOptions;
  /**
   * The sender of messages that name none.
   * @default none: such messages fail with `SenderRequiredError` before anything is sent
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
  recipientPolicy?: RecipientPolicy;
}

/**
 * Retries of transient failures: connection drops, timeouts, SMTP 421/450/451/452. Never after the
 * whole message was written without a reply (`DeliveryUncertainError`: it may have been accepted),
 * and never a server that does not greet (a TLS-mode mismatch).
 */
export interface SmtpRetryOptions {
  /**
   * Attempts per message, the first one included.
   * @default 3
   */
  attempts?: number;
  /**
   * The delay before the first retry; it doubles with each one, plus up to 50 % random jitter.
   * @default 250
   */
  baseDelayMs?: number;
  /**
   * The longest delay between two attempts.
   * @default 5000
   */
  maxDelayMs?: number;
}

/** Trust for servers whose certificates a private CA signed. Verification itself cannot be turned off. */
export interface SmtpTlsTrustOptions {
  /** PEM certificates trusted in addition to the system's. */
  ca?: string | Buffer | Array<string | Buffer>;
}

/** Connection pooling of every transporter the module builds. */
export interface SmtpPoolOptions {
  /** @default 5 */
  maxConnections?: number;
  /** Messages per connection before it is replaced. @default 100 */
  maxMessages?: number;
  /** Socket idle timeout, in milliseconds. @default nodemailer's (10 minutes) */
  socketTimeout?: number;
  /** Time to establish a connection, in milliseconds. @default nodemailer's (2 minutes) */
  connectionTimeout?: number;
}
