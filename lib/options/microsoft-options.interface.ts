/** Microsoft 365 (Bearer) options. */
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
   * PEM certificates trusted for the authority host in addition to the system's (a TLS-inspecting
   * proxy, or a test double). Certificates are always verified.
   * @default the system's trusted CAs only
   */
  ca?: string | Buffer | Array<string | Buffer>;
  /**
   * Exchange Online accepts 30 messages a minute per mailbox: Bearer transports queue messages to stay
   * under it instead of having them rejected. `false` turns the limit off.
   * @default { messages: 30, windowMs: 60000 }
   */
  rateLimit?: { messages: number; windowMs: number } | false;
}

export const MICROSOFT_DEFAULTS = {
  authorityHost: 'https://login.microsoftonline.com',
  scope: 'https://outlook.office365.com/.default',
  rateLimit: { messages: 30, windowMs: 60_000 },
} as const;
