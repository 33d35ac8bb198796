/**
 * Trust for servers whose certificates a private CA signed: every outbound TLS connection the
 * module makes (SMTP servers, the relay, Microsoft Entra ID). Verification itself cannot be turned off.
 */
export interface SmtpTlsTrustOptions {
  /** PEM certificates trusted in addition to the system's. */
  ca?: string | Buffer | Array<string | Buffer>;
}
