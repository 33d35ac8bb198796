import type { Address, SMTPTransportOptions, Transport } from 'nodemailer';
import type { VerifyResult } from '../../interfaces/verify-result.interface';
import type { SmtpServerSettings } from '../../interfaces/smtp-settings.types';
import type { ChannelKind } from '../../interfaces/send-result.interface';
import type { TokenSource } from '../../providers/oauth/access-token';
import { formatSender } from '../sender';
import type { SmtpChannelFactory } from '../smtp-channel.factory';
import type { ExplainTarget } from '../../diagnosis/explain-target.interface';

/**
 * The channel an admin action (verify, test-email) checks: a connection of its own, never the pool,
 * so a server-side fix shows at once, and short timeouts, so the admin gets an answer quickly.
 */
export interface AdminChannel {
  kind: ChannelKind;
  version: number;
  /** What a failure is explained against: the channel that was tried, whatever changes meanwhile. */
  target: ExplainTarget;
  options: SMTPTransportOptions;
  /** The longest a whole admin action may take, however slowly a server answers each step. */
  deadlineMs: number;
  from?: string | Address;
  replyTo?: string;
  /** Fresh Bearer tokens, never the cached ones: an admin checks a new secret this way. */
  tokens?: TokenSource;
  /** Makes a transport of its own instead of `options` (an HTTPS API: Graph), closed after use. */
  transport?: () => Transport;
  /** A provider's check of the mailbox in place of an SMTP session (Graph's). */
  checkMailbox?: () => Promise<Omit<VerifyResult, 'durationMs' | 'route'>>;
}

/** `tokens`: one-off tokens for Bearer settings, shared by the token check and the connection. */
export function customAdminChannel(
  channels: SmtpChannelFactory,
  version: number,
  settings: SmtpServerSettings,
  tokens: TokenSource | undefined,
  timeoutMs: number,
): AdminChannel {
  return {
    kind: 'custom',
    version,
    target: channels.targetOf(settings),
    options: withAdminTimeouts(channels.customTransportOptions(settings, false, tokens), timeoutMs),
    deadlineMs: timeoutMs * 3,
    from: formatSender(settings),
    replyTo: settings.replyTo,
    tokens,
  };
}

export function relayAdminChannel(
  channels: SmtpChannelFactory,
  version: number,
  from: string | undefined,
  timeoutMs: number,
): AdminChannel {
  const options = channels.relayTransportOptions();
  const url = options.url ? new URL(options.url) : undefined;
  return {
    kind: 'relay',
    version,
    target: {
      ...channels.relayTarget(),
      credentials: options.auth !== undefined || Boolean(url?.username),
      senderEmail: from,
    },
    options: withAdminTimeouts(options, timeoutMs),
    deadlineMs: timeoutMs * 3,
    from,
  };
}

/** One connection, no pool, and every wait (DNS, connect, greeting, TLS, each reply) bounded. */
function withAdminTimeouts(options: SMTPTransportOptions, timeoutMs: number): SMTPTransportOptions {
  return {
    ...options,
    pool: false,
    dnsTimeout: timeoutMs,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    // Longer than the greeting's: a silent server must fail as "never greeted", which says why.
    socketTimeout: timeoutMs * 2,
  } as SMTPTransportOptions;
}
