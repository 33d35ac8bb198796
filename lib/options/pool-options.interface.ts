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
