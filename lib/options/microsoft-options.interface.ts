import type { RateLimit } from './rate-limit.interface';

/** Microsoft 365 (Bearer) options. The module's `tls.ca` is trusted for Entra ID too. */
export interface MicrosoftOptions {
  /**
   * The Entra ID sign-in host. Sovereign clouds need their own, such as `https://login.microsoftonline.us`.
   * @default 'https://login.microsoftonline.com'
   */
  authorityHost?: string;
  /**
   * The scope requested with the client credentials grant for SMTP (provider `microsoft`).
   * @default 'https://outlook.office365.com/.default'
   */
  scope?: string;
  /**
   * Microsoft Graph, for provider `microsoft-graph`: messages go to
   * `<graphHost>/v1.0/users/{mailbox}/sendMail`, with tokens for the scope `<graphHost>/.default`.
   * National clouds have their own, such as `https://graph.microsoft.us`. HTTPS only; the
   * certificate is always verified (`tls.ca` is trusted too).
   * @default 'https://graph.microsoft.com'
   */
  graphHost?: string;
  /**
   * Exchange Online accepts 30 messages a minute per mailbox: Bearer transports queue messages to stay
   * under it instead of having them rejected. `false` turns the limit off.
   * @default { limit: 30, windowMs: 60000 }
   */
  rateLimit?: RateLimit | false;
}
