import { Inject, Injectable } from '@nestjs/common';
import { createTransport, type SMTPPoolOptions } from 'nodemailer';
import type { SmtpSettingsModuleOptions } from '../options/smtp-settings-options.interface';
import type { TokenLease, TokenSource } from '../providers/oauth/access-token';
import { xoauth2Auth } from '../providers/oauth/xoauth2-auth';
import type {
  BasicSmtpSettings,
  SmtpServerSettings,
  SmtpSettings,
} from '../interfaces/smtp-settings.types';
import {
  SMTP_SETTINGS_MAIL_PROVIDERS,
  SMTP_SETTINGS_MODULE_OPTIONS,
} from '../options/smtp-settings.constants';
import { formatSender } from './sender';
import type { Lease } from '../internal/keyed-leases';
import type { SlidingWindowLimiter } from './sliding-window-limiter';
import { SmtpChannel, type ChannelTarget } from './smtp-channel';
import type { ReplyExplanation } from '../diagnosis/replies/reply-explanation.interface';
import { tlsOptionsFor } from './tls-mapping';
import { resolveAttemptTimeoutMs } from './attempt-deadline';
import { trustedCas } from '../options/trusted-cas';
import { SMTP_SETTINGS_OPTION_DEFAULTS as DEFAULTS } from '../options/smtp-settings.defaults';
import { isHost } from '../settings/validation/smtp-settings.rules';
import { providerOf } from '../settings/provider-settings.interface';
import { customAdminChannel, type AdminChannel } from './verify/admin-channel';
import type {
  MailProviderDescriptor,
  ProviderChannels,
} from './mail-provider-descriptor.interface';

/**
 * Builds the channel for the relay or for a version of the custom settings, and their options:
 * Basic settings here, Bearer settings by their provider's descriptor.
 */
@Injectable()
export class SmtpChannelFactory {
  /** Each provider's channels, by its id. */
  private readonly channels = new Map<string, ProviderChannels>();
  /** The deadline of every attempt of the SMTP channels, `send` and the outbox's alike. */
  private readonly attemptTimeoutMs: number;

  constructor(
    @Inject(SMTP_SETTINGS_MODULE_OPTIONS) private readonly options: SmtpSettingsModuleOptions,
    @Inject(SMTP_SETTINGS_MAIL_PROVIDERS)
    private readonly providers: readonly MailProviderDescriptor[],
  ) {
    this.attemptTimeoutMs = resolveAttemptTimeoutMs(options);
    const kit = {
      options,
      smtpChannel: this.smtp.bind(this),
      smtpAdminChannel: (
        version: number,
        settings: SmtpServerSettings,
        tokens: TokenSource,
        timeoutMs: number,
      ) => customAdminChannel(this, version, settings, tokens, timeoutMs),
    };
    for (const provider of providers) this.channels.set(provider.id, provider.connect(kit));
  }

  get hasRelay(): boolean {
    return this.options.relay !== undefined;
  }

  /** The relay's channel, shared by every tenant without settings: its version is 0. */
  relay(): SmtpChannel {
    const relay = this.options.relay!;
    return new SmtpChannel({
      kind: 'relay',
      version: 0,
      target: this.relayTarget(),
      transporter: createTransport(this.relayTransportOptions()),
      defaults: { from: relay.from },
      limit: {
        maxRecipients: relay.maxRecipients ?? DEFAULTS.relay.maxRecipients,
        policy: relay.recipientPolicy ?? DEFAULTS.relay.recipientPolicy,
      },
      retry: this.options.retry,
      attemptTimeoutMs: this.attemptTimeoutMs,
    });
  }

  /** A tenant's channel; its tokens and its mailbox budget are let go when it closes. */
  custom(tenant: string, version: number, settings: SmtpSettings): SmtpChannel {
    if (settings.type === 'basic') return this.smtp(version, settings, {});
    return this.channelsOf(settings).channel(tenant, version, settings);
  }

  /** The channel an admin check (verify, test-email) uses for a tenant's settings. */
  adminChannel(
    tenant: string,
    version: number,
    settings: SmtpSettings,
    timeoutMs: number,
  ): AdminChannel {
    if (settings.type === 'basic') {
      return customAdminChannel(this, version, settings, undefined, timeoutMs);
    }
    return this.channelsOf(settings).adminChannel(tenant, version, settings, timeoutMs);
  }

  /** A channel to the settings' SMTP server, signing in with `tokens` for Bearer settings. */
  private smtp(
    version: number,
    settings: SmtpServerSettings,
    parts: { tokens?: TokenLease; limiter?: Lease<SlidingWindowLimiter> },
  ): SmtpChannel {
    const { tokens, limiter } = parts;
    const channel = new SmtpChannel({
      kind: 'custom',
      version,
      target: this.targetOf(settings),
      transporter: createTransport(this.customTransportOptions(settings, true, tokens?.tokens)),
      defaults: { from: formatSender(settings), replyTo: settings.replyTo },
      limit: providerOf(this.providers, settings)?.recipientLimit?.(this.options),
      authType: settings.type,
      tokens: tokens?.tokens,
      limiter: limiter?.value,
      retry: this.options.retry,
      attemptTimeoutMs: this.attemptTimeoutMs,
    });
    channel.onClose(() => {
      tokens?.release();
      limiter?.release();
    });
    return channel;
  }

  /** The relay's options; a private CA from the module options applies to it too. */
  relayTransportOptions(): SMTPPoolOptions {
    const transport = this.options.relay!.transport;
    const base: SMTPPoolOptions = typeof transport === 'string' ? { url: transport } : transport;
    const ca = trustedCas(this.options.tls);
    return {
      ...this.poolDefaults(),
      ...base,
      ...(ca ? { tls: { ...base.tls, ca } } : {}),
      pool: true,
    };
  }

  /** Where the relay's options point, for explaining its failures. */
  relayTarget(): ChannelTarget {
    const options = this.relayTransportOptions();
    const url = options.url ? new URL(options.url) : undefined;
    const useTls = url ? url.protocol === 'smtps:' : options.secure === true;
    const hostname = url?.hostname || options.host || 'localhost';
    return {
      hostname,
      port: Number(url?.port || options.port || (useTls ? 465 : 587)),
      useTls,
      ...(useTls ? { tlsMode: 'implicit' as const } : {}),
      ...(this.knownProvider(hostname) ? { providerHost: true } : {}),
      replies: this.repliesFor(),
    };
  }

  /**
   * Custom settings as their failures are explained: with the providers' replies, and a provider's
   * own host marked so.
   */
  targetOf(settings: SmtpServerSettings): ChannelTarget {
    const providerHost = this.knownProvider(settings.hostname) !== undefined;
    return {
      ...settings,
      ...(providerHost ? { providerHost } : {}),
      replies: this.repliesFor(providerOf(this.providers, settings)),
    };
  }

  /**
   * Every provider's replies, `own`'s first: Gmail shares some words with Exchange, and a provider's
   * replies that apply to its own settings only must win over another's for them.
   */
  private repliesFor(own?: MailProviderDescriptor): ReplyExplanation[] {
    const others = this.providers.filter((provider) => provider !== own);
    return [own, ...others].flatMap((provider) => provider?.replies ?? []);
  }

  /**
   * Options for the custom server: pooled for sending, a single connection for an admin check.
   * Bearer settings sign in with `tokens`.
   */
  customTransportOptions(
    settings: SmtpServerSettings,
    pool: boolean,
    tokens?: TokenSource,
  ): SMTPPoolOptions {
    const defaults = this.poolDefaults();
    const cap = this.knownProvider(settings.hostname)?.maxConnections;
    return {
      ...defaults,
      ...(cap ? { maxConnections: Math.min(defaults.maxConnections ?? 5, cap) } : {}),
      host: settings.hostname,
      port: settings.port,
      ...tlsOptionsFor(settings, this.options.tls),
      auth:
        settings.type === 'basic'
          ? { user: settings.username, pass: (settings as BasicSmtpSettings).password }
          : xoauth2Auth(settings.username, tokens!),
      // Credentials are configured: a server that offers no AUTH must fail, not go unauthenticated.
      forceAuth: true,
      pool,
    } as SMTPPoolOptions;
  }

  /** The provider whose own SMTP host `hostname` is, whatever the settings' type. */
  private knownProvider(hostname: string): MailProviderDescriptor | undefined {
    return this.providers.find((provider) => isHost(hostname, provider.knownHosts));
  }

  private channelsOf(settings: { type: 'bearer'; provider?: string }): ProviderChannels {
    return this.channels.get(providerOf(this.providers, settings)!.id)!;
  }

  private poolDefaults(): Partial<SMTPPoolOptions> {
    const pool = this.options.pool ?? {};
    return Object.fromEntries(Object.entries(pool).filter(([, v]) => v !== undefined));
  }
}
