import { effectiveTlsMode } from './tls-mode';
import type { SmtpAuthType, SmtpTlsMode } from '../interfaces/smtp-settings.types';
import { providerOf, type ProviderSettingsList } from './provider-settings.interface';

/**
 * The fields of settings (saved, sealed or submitted) that decide where their secret is sent.
 * Settings of a provider without a server (Graph) send their secret for that mailbox only.
 */
export interface DestinationFields {
  type: SmtpAuthType;
  hostname?: string;
  port?: number;
  username: string;
  useTls?: boolean;
  tlsMode?: SmtpTlsMode;
  provider?: string;
}

/** As the admin page names them, in the order a message lists them; then each provider's own. */
const LABELS: Readonly<Record<string, string>> = {
  type: 'type',
  hostname: 'hostname',
  port: 'port',
  username: 'username',
  useTls: 'Send using TLS',
  tlsMode: 'TLS mode',
  provider: 'provider',
};

type Destination = Record<string, string | number | boolean>;

/**
 * Where a secret goes, as sealed into its additional data. TLS counts as the mode actually used
 * ('none' when Send using TLS is off), so that a change of port that flips the default mode counts.
 * Each provider binds the fields that decide where its secret goes (its `destinationFields`) besides
 * the mailbox and, when it sends to an SMTP server, the server: Microsoft SMTP the client and tenant,
 * Microsoft Graph the same without a server, Google the service account.
 */
export function destinationOf(
  settings: DestinationFields,
  providers: ProviderSettingsList,
): Destination {
  const provider = providerOf(providers, settings);
  const fields = settings as unknown as Record<string, string | undefined>;
  const own = Object.fromEntries(
    Object.keys(provider?.destinationFields ?? {}).map((key) => [key, fields[key] ?? '']),
  );
  const named = { provider: settings.provider ?? '', ...own };
  if (provider && !provider.smtpServer) {
    return { type: settings.type, username: settings.username, ...named };
  }
  const server = {
    type: settings.type,
    // String(): a record altered in the store may hold anything; it must fail to open, not throw.
    hostname: String(settings.hostname).toLowerCase(),
    port: settings.port!,
    username: settings.username,
    useTls: settings.useTls!,
    tlsMode: settings.useTls
      ? effectiveTlsMode({ port: settings.port!, tlsMode: settings.tlsMode })
      : 'none',
  };
  return provider ? { ...server, ...named } : server;
}

/**
 * The labels of what changed between two destinations: the type or provider alone when either
 * changed. Names, mailboxes and IDs compare case-insensitively; a change of TLS mode is not named again when Send using TLS changed.
 */
export function changedDestination(
  before: DestinationFields,
  after: DestinationFields,
  providers: ProviderSettingsList,
): string[] {
  const a = destinationOf(before, providers);
  const b = destinationOf(after, providers);
  // Another kind of settings: its other fields say nothing more.
  const kind = (['type', 'provider'] as const).filter((key) => a[key] !== b[key]);
  if (kind.length > 0) return kind.map((key) => LABELS[key]!);
  const labels = { ...LABELS, ...providerOf(providers, after)?.destinationFields };
  return Object.keys(labels)
    .filter((key) => key in b && normalise(a[key]) !== normalise(b[key]))
    .filter((key) => key !== 'tlsMode' || a.useTls === b.useTls)
    .map((key) => labels[key]!);
}

function normalise(value: unknown): unknown {
  return typeof value === 'string' ? value.toLowerCase() : value;
}
