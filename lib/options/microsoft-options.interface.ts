import type { RateLimit } from './rate-limit.interface';

/** Microsoft 365 (Bearer) options. The module's `tls.ca` is trusted for Entra ID too. */
export interface MicrosoftOptions {
  /**
   * The Entra ID sign-in host. Sovereign clouds need their own, such as `https://login.microsoftonline.us`.
   * @default 'https://login.microsoftonline.com'
   */
  authorityHost?: string;
  /**
   * The scope requested with the client credentials grant.
   * @default 'https://outlook.office365.com/.default'
   */
  scope?: string;
  /**
   * Exchange Online accepts 30 messages a minute per mailbox: Bearer transports queue messages to stay
   * under it instead of having them rejected. `false` turns the limit off.
   * @default { limit: 30, windowMs: 60000 }
   */
  rateLimit?: RateLimit | false;
}
