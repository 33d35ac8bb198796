import { effectiveTlsMode } from './tls-mode';
import type { SmtpAuthType, SmtpTlsMode } from '../interfaces/smtp-settings.types';

/**
 * The fields of settings (saved, sealed or submitted) that decide where their secret is sent.
 * Microsoft Graph settings have no server: their secret goes to Entra ID for that mailbox only.
 */
export interface DestinationFields {
  type: SmtpAuthType;
  hostname?: string;
  port?: number;
  username: string;
  useTls?: boolean;
  tlsMode?: SmtpTlsMode;
  provider?: string;
  clientId?: string;
  tenantId?: string;
  serviceAccountEmail?: string;
}

/** As the admin page names them, in the order a message lists them. */
const LABELS = {
  type: 'type',
  hostname: 'hostname',
  port: 'port',
  username: 'username',
  useTls: 'Send using TLS',
  tlsMode: 'TLS mode',
  provider: 'provider',
  clientId: 'client ID',
  tenantId: 'tenant ID',
  serviceAccountEmail: 'service account email',
} as const;

/** The names of the settings fields that decide where a secret goes. */
export const DESTINATION_FIELDS: readonly string[] = Object.keys(LABELS);

type Destination = Record<string, string | number | boolean>;

/**
 * Where a secret goes, as sealed into its additional data. TLS counts as the mode actually used
 * ('none' when Send using TLS is off), so that a change of port that flips the default mode counts.
 * Each provider binds the fields that decide where its secret goes: Microsoft SMTP the server,
 * mailbox, client and tenant; Microsoft Graph the mailbox, client and tenant; Google the server,
 * mailbox and service account.
 */
export function destinationOf(settings: DestinationFields): Destination {
  const { provider = '', clientId = '', tenantId = '' } = settings;
  if (settings.type === 'bearer' && provider === 'microsoft-graph') {
    return { type: settings.type, username: settings.username, provider, clientId, tenantId };
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
  if (settings.type !== 'bearer') return server;
  if (provider === 'google') {
    return { ...server, provider, serviceAccountEmail: settings.serviceAccountEmail ?? '' };
  }
  return { ...server, provider, clientId, tenantId };
}

/**
 * The labels of what changed between two destinations: the type or provider alone when either
 * changed. Names, mailboxes and IDs compare case-insensitively; a change of TLS mode is not named again when Send using TLS changed.
 */
export function changedDestination(before: DestinationFields, after: DestinationFields): string[] {
  const a = destinationOf(before);
  const b = destinationOf(after);
  // Another kind of settings: its other fields say nothing more.
  const kind = (['type', 'provider'] as const).filter((key) => a[key] !== b[key]);
  if (kind.length > 0) return kind.map((key) => LABELS[key]);
  return (Object.keys(LABELS) as Array<keyof typeof LABELS>)
    .filter((key) => key in b && normalise(a[key]) !== normalise(b[key]))
    .filter((key) => key !== 'tlsMode' || a.useTls === b.useTls)
    .map((key) => LABELS[key]);
}

function normalise(value: unknown): unknown {
  return typeof value === 'string' ? value.toLowerCase() : value;
}
