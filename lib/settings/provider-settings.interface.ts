import type { FieldProblem } from '../interfaces/field-problem.interface';
import type { SmtpTlsMode } from '../interfaces/smtp-settings.types';

/** Settings as a provider's rules see them: any body, whose fields may be wrong or missing. */
export interface ProviderRuleFields {
  type?: string;
  provider?: string;
  hostname?: string;
  port?: number;
  useTls?: boolean;
  tlsMode?: SmtpTlsMode;
  username?: string;
  senderEmail?: string;
  clientCertificate?: unknown;
}

/**
 * What the settings room needs of a Bearer provider: its body, where its secret is and where that
 * secret may go, what the admin page proposes, and its own rules. It is the lower part of the
 * provider's descriptor (`MailProviderDescriptor` in transport/), handed to this room by injection
 * (`SMTP_SETTINGS_MAIL_PROVIDERS`), never imported: the providers sit above it.
 */
export interface ProviderSettings {
  /** The `provider` value of its settings, such as `google`. */
  readonly id: string;
  /** The class-validator class of its body (PUT and POST /verify). */
  readonly dto: new () => object;
  /** Fields that may hold line breaks (a PEM key); every other one must be one line. */
  readonly multilineFields?: readonly string[];
  /** The field its secret is entered in. */
  readonly secretField: 'clientSecret' | 'privateKey';
  /** The app may prove who it is with `clientCertificate` instead of `secretField` (Entra ID). */
  readonly clientCertificate?: boolean;
  /** Mail goes to an SMTP server (hostname, port, TLS); false for an HTTPS API such as Graph. */
  readonly smtpServer: boolean;
  /**
   * Besides the type, the server, the mailbox and the provider, the fields that decide where its
   * secret goes, with their labels in the admin's words: a change of one asks for the secret again.
   */
  readonly destinationFields: Readonly<Record<string, string>>;
  /** What the admin page proposes when the provider is chosen. */
  readonly proposal: Readonly<{ hostname?: string; port?: number; useTls?: boolean }>;
  /** Its own SMTP hosts: right by definition, and where its tokens are expected to go. */
  readonly knownHosts: readonly string[];
  /** Whose token a connection sends, in the admin's words ('Google access token'). */
  readonly tokenName: string;
  /** Combinations of its settings' fields that cannot work, each naming its field. */
  problems?(settings: ProviderRuleFields): FieldProblem[];
  /** Combinations of its settings' fields that can work but usually are a mistake. */
  warnings?(settings: ProviderRuleFields & { hostname: string }): string[];
  /** What it says of Basic settings that sign in at one of its `knownHosts`. */
  basicWarnings?(settings: ProviderRuleFields): string[];
}

/**
 * The providers the module sends with, in the order the admin page offers them. The first is the
 * default: a Bearer body with a missing or unknown provider is checked as its body.
 */
export type ProviderSettingsList = readonly ProviderSettings[];

/** The provider of Bearer settings, or the default one; undefined for Basic settings. */
export function providerOf<P extends ProviderSettings>(
  providers: readonly P[],
  settings: { type?: string; provider?: unknown },
): P | undefined {
  if (settings.type !== 'bearer') return undefined;
  return providers.find((provider) => provider.id === settings.provider) ?? providers[0];
}
