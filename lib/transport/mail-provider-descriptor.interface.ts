import type { BearerSettings, SmtpServerSettings } from '../interfaces/smtp-settings.types';
import type { Lease } from '../internal/keyed-leases';
import type { SmtpSettingsModuleOptions } from '../options/smtp-settings-options.interface';
import type { ReplyExplanation } from '../diagnosis/replies/reply-explanation.interface';
import type { TokenLease, TokenSource } from '../providers/oauth/access-token';
import type { ProviderSettings } from '../settings/provider-settings.interface';
import type { SlidingWindowLimiter } from './sliding-window-limiter';
import type { ChannelLimit, SmtpChannel } from './smtp-channel';
import type { AdminChannel } from './verify/admin-channel';

/** What the transport lends a provider to build its channels with. */
export interface ChannelKit {
  readonly options: SmtpSettingsModuleOptions;
  /**
   * A pooled channel to the settings' SMTP server that signs in with XOAUTH2 from `tokens`, paced
   * by `limiter`; both are let go when the channel closes.
   */
  smtpChannel(
    version: number,
    settings: SmtpServerSettings,
    parts: { tokens: TokenLease; limiter?: Lease<SlidingWindowLimiter> },
  ): SmtpChannel;
  /** The channel of an admin check (verify, test-email) at the settings' SMTP server. */
  smtpAdminChannel(
    version: number,
    settings: SmtpServerSettings,
    tokens: TokenSource,
    timeoutMs: number,
  ): AdminChannel;
}

/** A budget of messages that every replica counts against, by its key. */
export interface SendingBudget {
  key: string;
  limit: number;
  windowMs: number;
}

/** A provider's channels for its own settings, built once per module. */
export interface ProviderChannels {
  /** The channel a tenant's mail goes through; its tokens are let go when it closes. */
  channel(tenant: string, version: number, settings: BearerSettings): SmtpChannel;
  /** The channel an admin check uses: one-off tokens, so that a new secret is tried for real. */
  adminChannel(
    tenant: string,
    version: number,
    settings: BearerSettings,
    timeoutMs: number,
  ): AdminChannel;
}

/**
 * Everything the module knows of one Bearer provider, in its folder of lib/providers/: the settings
 * room's part (`ProviderSettings`: the DTO, the secret field, the destination fields, the proposal,
 * the known hosts), the reply table of diagnosis/, and the transport's (the recipient limit, the
 * pool size at its hosts, the channel builder). `lib/providers/mail-providers.ts` lists them; each room receives the list by
 * injection (`SMTP_SETTINGS_MAIL_PROVIDERS`).
 */
export interface MailProviderDescriptor extends ProviderSettings {
  /**
   * Its servers' replies in the admin's words, with the setting that fixes each: consulted for every
   * SMTP target (its own settings' first), since they tell its servers apart by their own codes.
   */
  readonly replies?: readonly ReplyExplanation[];
  /** Pools to its `knownHosts` open at most this many connections, whatever the pool option says. */
  readonly maxConnections?: number;
  /** Its recipient limit per message (refused or split), when it has one. */
  recipientLimit?(options: SmtpSettingsModuleOptions): ChannelLimit;
  /**
   * Its shared budget for this tenant's settings, when its servers limit how much one account
   * sends: the outbox books each message a slot in it across replicas.
   */
  sendingBudget?(
    tenant: string,
    settings: BearerSettings,
    options: Pick<SmtpSettingsModuleOptions, 'microsoft'>,
  ): SendingBudget | null;
  /** Its channels, built once per module from the module's options and the transport's kit. */
  connect(kit: ChannelKit): ProviderChannels;
}
