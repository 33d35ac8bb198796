import { Inject, Injectable } from '@nestjs/common';
import { createTransport, type SMTPPoolOptions } from 'nodemailer';
import type { SmtpSettingsModuleOptions } from '../options/smtp-settings-options.interface';
import { MicrosoftTokenProvider, type TokenSource } from '../microsoft/microsoft-token.provider';
import { xoauth2Auth } from '../microsoft/xoauth2-auth';
import { SMTP_SETTINGS_OPTION_DEFAULTS as DEFAULTS } from '../options/smtp-settings.defaults';
import type {
  BearerSmtpSettings,
  SmtpServerSettings,
  SmtpSettings,
} from '../interfaces/smtp-settings.types';
import { SMTP_SETTINGS_MODULE_OPTIONS } from '../options/smtp-settings.constants';
import { formatSender } from './sender';
import { KeyedLeases, type Lease } from '../internal/keyed-leases';
import { SlidingWindowLimiter } from './sliding-window-limiter';
import { SmtpChannel, type ChannelLimit, type ChannelTarget } from './smtp-channel';
import { tlsOptionsFor } from './tls-mapping';
import { resolveAttemptTimeoutMs } from './attempt-deadline';
import { trustedCas } from '../options/trusted-cas';
import type { RateLimit } from '../options/rate-limit.interface';
import { GoogleTokenProvider } from '../google/google-token.provider';
import { GraphChannels } from './graph/graph-channels';
import { isMicrosoftSmtpHost } from '../settings/validation/smtp-settings.rules';

/** Exchange Online answers 432 4.3.2 beyond a few connections at once per mailbox. */
const MICROSOFT_MAX_CONNECTIONS = 3;

/** Builds the channel for the relay or for a version of the custom settings, and their options. */
@Injectable()
export class SmtpChannelFactory {
  /** One per tenant's mailbox, kept across settings versions until its window has passed. */
  private readonly limiters = new KeyedLeases<SlidingWindowLimiter>((limiter) => limiter.isIdle());
  private readonly rateLimit: RateLimit | false;
  /** Channels and admin transports for Microsoft Graph settings. */
  readonly graph: GraphChannels;
  /** The deadline of every attempt of the SMTP channels, `send` and the outbox's alike. */
  private readonly attemptTimeoutMs: number;

  constructor(
    @Inject(SMTP_SETTINGS_MODULE_OPTIONS) private readonly options: SmtpSettingsModuleOptions,
    private readonly tokens: MicrosoftTokenProvider,
    private readonly google: GoogleTokenProvider,
  ) {
    this.attemptTimeoutMs = resolveAttemptTimeoutMs(options);
    this.graph = new GraphChannels(options, tokens);
    this.rateLimit = options.microsoft?.rateLimit ?? DEFAULTS.microsoft.rateLimit;
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
    if (settings.type === 'bearer' && settings.provider === 'microsoft-graph') {
      return this.graph.channel(tenant, version, settings);
    }
    return this.smtp(tenant, version, settings);
  }

  /** A channel to the tenant's SMTP server. */
  private smtp(tenant: string, version: number, settings: SmtpServerSettings): SmtpChannel {
    const microsoft = settings.type === 'bearer' && settings.provider === 'microsoft';
    const google = settings.type === 'bearer' && settings.provider === 'google';
    const tokens = microsoft
      ? this.tokens.lease(tenant, version, settings)
      : google
        ? this.google.lease(tenant, version, settings)
        : null;
    const limiter = microsoft ? this.bearerLimiter(tenant, settings) : undefined;
    const channel = new SmtpChannel({
      kind: 'custom',
      version,
      target: settings,
      transporter: createTransport(this.customTransportOptions(settings, true, tokens?.tokens)),
      defaults: { from: formatSender(settings), replyTo: settings.replyTo },
      limit: google ? this.googleLimit() : undefined,
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
    return {
      hostname: url?.hostname || options.host || 'localhost',
      port: Number(url?.port || options.port || (useTls ? 465 : 587)),
      useTls,
      ...(useTls ? { tlsMode: 'implicit' as const } : {}),
    };
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
    return {
      ...defaults,
      ...(isMicrosoftSmtpHost(settings.hostname)
        ? { maxConnections: Math.min(defaults.maxConnections ?? 5, MICROSOFT_MAX_CONNECTIONS) }
        : {}),
      host: settings.hostname,
      port: settings.port,
      ...tlsOptionsFor(settings, this.options.tls),
      auth:
        settings.type === 'basic'
          ? { user: settings.username, pass: settings.password }
          : xoauth2Auth(settings.username, tokens!),
      // Credentials are configured: a server that offers no AUTH must fail, not go unauthenticated.
      forceAuth: true,
      pool,
    } as SMTPPoolOptions;
  }

  /**
   * Exchange Online allows 30 messages a minute per mailbox: queue rather than be refused. Keyed by
   * the tenant too, so that a tenant naming another's mailbox cannot spend that tenant's budget.
   */
  private bearerLimiter(
    tenant: string,
    settings: BearerSmtpSettings,
  ): Lease<SlidingWindowLimiter> | undefined {
    const rate = this.rateLimit;
    if (!rate) return undefined;
    const mailbox = `${settings.tenantId}/${settings.username}`.toLowerCase();
    return this.limiters.lease(
      `${tenant} ${mailbox}`,
      () => new SlidingWindowLimiter(rate.limit, rate.windowMs),
    );
  }

  /** Fresh tokens for an admin check of Google settings (verify, test-email); else undefined. */
  googleAdminTokens(settings: SmtpServerSettings): TokenSource | undefined {
    if (settings.type !== 'bearer' || settings.provider !== 'google') return undefined;
    return this.google.oneOffTokens(settings);
  }

  /** Google Workspace takes at most 100 recipients per message: refused or split, as chosen. */
  private googleLimit(): ChannelLimit {
    const policy = this.options.google?.recipientPolicy ?? this.options.relay?.recipientPolicy;
    return {
      maxRecipients: DEFAULTS.google.maxRecipients,
      policy: policy ?? DEFAULTS.relay.recipientPolicy,
      route: 'Google Workspace',
    };
  }

  private poolDefaults(): Partial<SMTPPoolOptions> {
    const pool = this.options.pool ?? {};
    return Object.fromEntries(Object.entries(pool).filter(([, v]) => v !== undefined));
  }
}
