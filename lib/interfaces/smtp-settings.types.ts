export type SmtpAuthType = 'basic' | 'bearer';
/** How TLS is used with an SMTP server: `CommonSmtpSettings['tlsMode']`, named for the module's code. */
export type SmtpTlsMode = NonNullable<CommonSmtpSettings['tlsMode']>;
/**
 * Who issues the tokens of Bearer settings, and how mail leaves: `microsoft` is Microsoft 365 SMTP
 * with XOAUTH2, `microsoft-graph` Microsoft 365 through Graph sendMail (no SMTP server), `google`
 * Google Workspace SMTP with XOAUTH2 as a service account with domain-wide delegation.
 */
export type MailProvider = 'microsoft' | 'microsoft-graph' | 'google';

/** The mailbox and what a message says about its sender: every kind of settings has them. */
export interface SenderSettings {
  username: string;
  senderEmail: string;
  senderName?: string;
  /** The sender mailbox cannot receive mail, so replies need somewhere else to go. */
  replyTo?: string;
}

/** Where an SMTP server is, and how TLS is used with it. */
export interface CommonSmtpSettings extends SenderSettings {
  hostname: string;
  port: number;
  useTls: boolean;
  /** Defaults to `implicit` on port 465 and `starttls` elsewhere. */
  tlsMode?: 'starttls' | 'implicit';
}

export interface BasicSmtpSettings extends CommonSmtpSettings {
  type: 'basic';
  password: string;
}

/**
 * An Entra ID app's certificate credential, as uploaded to its app registration (Certificates &
 * secrets, Certificates): the app signs a client assertion with the key instead of sending a secret.
 */
export interface ClientCertificate {
  /** The certificate in PEM (`-----BEGIN CERTIFICATE-----`). Not secret. */
  certificate: string;
  /** Its RSA private key (2048 bits or more) in PEM, PKCS#8 or PKCS#1: a secret, never returned. */
  privateKey: string;
}

/** What responses show of a certificate credential: which certificate, and until when. */
export interface ClientCertificateView {
  /** The certificate's subject, such as `CN=contoso-mailer`. */
  subject: string;
  /** The SHA-256 thumbprint in hex, as the Azure portal lists the app's certificates. */
  thumbprintSha256: string;
  /** When the certificate expires (ISO 8601): Entra ID refuses it from then on. */
  notAfter: string;
}

/**
 * The Entra ID app of Microsoft settings, and how it proves who it is: exactly one of
 * `clientSecret` and `clientCertificate`.
 */
export interface MicrosoftAppSettings {
  clientId: string;
  tenantId: string;
  /** The app's client secret; absent when it signs in with `clientCertificate`. */
  clientSecret?: string;
  /** The app's certificate and its private key; absent when it signs in with `clientSecret`. */
  clientCertificate?: ClientCertificate;
}

/** Microsoft 365 SMTP AUTH with XOAUTH2 (client credentials from Entra ID). */
export interface BearerSmtpSettings extends CommonSmtpSettings, MicrosoftAppSettings {
  type: 'bearer';
  provider: 'microsoft';
}

/**
 * Microsoft 365 through Microsoft Graph `sendMail` (client credentials from Entra ID): HTTPS
 * always, so no server, port or TLS. `senderEmail` is the mailbox (`username`).
 */
export interface MicrosoftGraphSettings extends SenderSettings, MicrosoftAppSettings {
  type: 'bearer';
  provider: 'microsoft-graph';
}

/**
 * Google Workspace SMTP with XOAUTH2, as a service account with domain-wide delegation that signs
 * in as the mailbox (`username`, the JWT's `sub`).
 */
export interface GoogleSmtpSettings extends CommonSmtpSettings {
  type: 'bearer';
  provider: 'google';
  /** The service account's `client_email`. */
  serviceAccountEmail: string;
  /** The service account's `private_key` (PEM, line breaks included). */
  privateKey: string;
}

/** Bearer settings of every provider, told apart by `provider`. */
export type BearerSettings = BearerSmtpSettings | MicrosoftGraphSettings | GoogleSmtpSettings;

/** Settings whose tokens come from Microsoft Entra ID. */
export type MicrosoftBearerSettings = BearerSmtpSettings | MicrosoftGraphSettings;

/** Settings that sign in at an SMTP server (every kind but Microsoft Graph). */
export type SmtpServerSettings = BasicSmtpSettings | BearerSmtpSettings | GoogleSmtpSettings;

/** Settings with their secrets in plaintext: they exist only in memory, never in a store or a response. */
export type SmtpSettings = BasicSmtpSettings | BearerSettings;

/**
 * Where the secret of each kind of settings is: a field, or for a certificate credential the key
 * inside `clientCertificate`.
 */
export type SecretField =
  'password' | 'clientSecret' | 'privateKey' | 'clientCertificate.privateKey';

/**
 * A secret sealed with AES-256-GCM: `enc:v2:<keyId>:<iv>:<tag>:<ciphertext>` (base64url parts),
 * bound to its tenant and destination. `enc:v1:` (0.1.0, bound to the field name only) is resealed
 * as v2 at start-up.
 */
export type SealedSecret = `enc:v2:${string}` | `enc:v1:${string}`;

/**
 * Settings as a store keeps them: each kind's secret field holds a `SealedSecret`, never plaintext;
 * Microsoft settings hold their client secret or their certificate's key sealed.
 */
export type SealedSmtpSettings =
  | (Omit<BasicSmtpSettings, 'password'> & { password: SealedSecret })
  | (Omit<BearerSmtpSettings, 'clientSecret' | 'clientCertificate'> &
      (
        | { clientSecret: SealedSecret }
        | { clientCertificate: { certificate: string; privateKey: SealedSecret } }
      ))
  | (Omit<MicrosoftGraphSettings, 'clientSecret' | 'clientCertificate'> &
      (
        | { clientSecret: SealedSecret }
        | { clientCertificate: { certificate: string; privateKey: SealedSecret } }
      ))
  | (Omit<GoogleSmtpSettings, 'privateKey'> & { privateKey: SealedSecret });

/**
 * Settings as an API response shows them: secrets replaced by whether one is usable. `false` means
 * that the stored one cannot be opened (see `warnings`) and must be entered again. Microsoft
 * settings say whether a client secret is set, or which certificate is and whether its key is.
 */
export type SmtpSettingsView =
  | (Omit<BasicSmtpSettings, 'password'> & { passwordSet: boolean })
  | (Omit<BearerSmtpSettings, 'clientSecret' | 'clientCertificate'> &
      (
        | { clientSecretSet: boolean }
        | { clientCertificate: ClientCertificateView; clientCertificateSet: boolean }
      ))
  | (Omit<MicrosoftGraphSettings, 'clientSecret' | 'clientCertificate'> &
      (
        | { clientSecretSet: boolean }
        | { clientCertificate: ClientCertificateView; clientCertificateSet: boolean }
      ))
  | (Omit<GoogleSmtpSettings, 'privateKey'> & { privateKeySet: boolean });

export interface SmtpSettingsState {
  source: 'relay' | 'custom';
  version: number;
  updatedAt: string | null;
  updatedBy: string | null;
  settings: SmtpSettingsView | null;
  warnings: string[];
}
