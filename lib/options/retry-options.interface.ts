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
