export type SmtpAuthType = 'basic' | 'bearer';
export type SmtpTlsMode = 'starttls' | 'implicit';
export type MailProvider = 'microsoft';

export interface CommonSmtpSettings {
  hostname: string;
  username: string;
  port: number;
  senderEmail: string;
  useTls: boolean;
  senderName?: string;
  /** The sender mailbox cannot receive mail, so replies need somewhere else to go. */
  replyTo?: string;
  /** Defaults to `implicit` on port 465 and `starttls` elsewhere. */
  tlsMode?: SmtpTlsMode;
}

export interface BasicSmtpSettings extends CommonSmtpSettings {
  type: 'basic';
  password: string;
}

export interface BearerSmtpSettings extends CommonSmtpSettings {
  type: 'bearer';
  provider: MailProvider;
  clientId: string;
  clientSecret: string;
  tenantId: string;
}

/** Settings with their secrets in plaintext: they exist only in memory, never in a store or a response. */
export type SmtpSettings = BasicSmtpSettings | BearerSmtpSettings;

/** The field that holds the secret of each type. */
export type SecretField = 'password' | 'clientSecret';

/**
 * A secret sealed with AES-256-GCM: `enc:v2:<keyId>:<iv>:<tag>:<ciphertext>` (base64url parts),
 * bound to its scope and destination. `enc:v1:` (0.1.0, bound to the field name only) is resealed
 * as v2 at start-up.
 */
export type SealedSecret = `enc:v2:${string}` | `enc:v1:${string}`;

export type SealedSmtpSettings =
  | (Omit<BasicSmtpSettings, 'password'> & { password: SealedSecret })
  | (Omit<BearerSmtpSettings, 'clientSecret'> & { clientSecret: SealedSecret });

/**
 * Settings as an API response shows them: secrets replaced by whether one is usable. `false` means
 * that the stored one cannot be opened (see `warnings`) and must be entered again.
 */
export type SmtpSettingsView =
  | (Omit<BasicSmtpSettings, 'password'> & { passwordSet: boolean })
  | (Omit<BearerSmtpSettings, 'clientSecret'> & { clientSecretSet: boolean });

export interface SmtpSettingsState {
  source: 'relay' | 'custom';
  version: number;
  updatedAt: string | null;
  updatedBy: string | null;
  settings: SmtpSettingsView | null;
  warnings: string[];
}
