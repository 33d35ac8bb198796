/** An access token as nodemailer's XOAUTH2 takes it, whoever issued it. */
export interface AccessToken {
  accessToken: string;
  /** Epoch milliseconds, as nodemailer's XOAUTH2 `expires` wants it. */
  expiresOn: number;
}

/**
 * Tokens for one set of Bearer settings, as a connection and a retry ask for them. `renew`: the
 * server refused `rejected` (the newest token when unknown).
 */
export type TokenSource = (renew: boolean, rejected?: string) => Promise<AccessToken>;

/** The tokens a channel signs in with, while it is open. */
export interface TokenLease {
  tokens: TokenSource;
  /** The channel closed: the client goes once no channel of its tenant and version needs it. */
  release(): void;
}
