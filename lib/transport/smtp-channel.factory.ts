import { Inject, Injectable } from '@nestjs/common';
import { createTransport, type SMTPPoolOptions } from 'nodemailer';
import type { SmtpSettingsModuleOptions } from '../options/smtp-settings-options.interface';
import { MicrosoftTokenProvider, type TokenSource } from '../microsoft/microsoft-token.provider';
import { xoauth2Auth } from '../microsoft/xoauth2-auth';
import { SMTP_SETTINGS_OPTION_DEFAULTS as DEFAULTS } from '../options/smtp-settings.defaults';
import type { BearerSmtpSettings, SmtpSettings } from '../interfaces/smtp-settings.types';
import { SMTP_SETTINGS_MODULE_OPTIONS } from '../options/smtp-settings.constants';
import { formatSender } from './sender';
import { SlidingWindowLimiter } from './sliding-window-limiter';
import { SmtpChannel, type ChannelTarget } from './smtp-channel';
import { tlsOptionsFor } from './tls-mapping';
import { trustedCas } from '../options/trusted-cas';

/** Builds the channel for the relay or for a version of the custom settings, and their options. */
@Injectable()
export class SmtpChannelFactory {
  /** One per mailbox, kept across settings versions: saving settings must not reset its budget. */
  private readonly limiters = new Map<string, SlidingWindowLimiter>();

  constructor(
    @Inject(SMTP_SETTINGS_MODULE_OPTIONS) private readonly options: SmtpSettingsModuleOptions,
    private readonly tokens: MicrosoftTokenProvider,
  ) {}

  get hasRelay(): boolean {
    return this.options.relay !== undefined;
  }

  relay(version: number): SmtpChannel {
    const relay = this.options.relay!;
    return new SmtpChannel({
      kind: 'relay',
      version,
      target: this.relayTarget(),
      transporter: createTransport(this.relayTransportOptions()),
      defaults: { from: relay.from },
      limit: {
        maxRecipients: relay.maxRecipients ?? DEFAULTS.relay.maxRecipients,
        policy: relay.recipientPolicy ?? DEFAULTS.relay.recipientPolicy,
      },
      retry: this.options.retry,
    });
  }

  custom(version: number, settings: SmtpSettings): SmtpChannel {
    const tokens =
      settings.type === 'bearer' ? this.tokens.tokensFor(version, settings) : undefined;
    return new SmtpChannel({
      kind: 'custom',
      version,
      target: settings,
      transporter: createTransport(this.customTransportOptions(settings, true, tokens)),
      defaults: { from: formatSender(settings), replyTo: settings.replyTo },
      authType: settings.type,
      tokens,
      limiter: settings.type === 'bearer' ? this.bearerLimiter(settings) : undefined,
      retry: this.options.retry,
    });
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
    settings: SmtpSettings,
    pool: boolean,
    tokens?: TokenSource,
  ): SMTPPoolOptions {
    return {
      ...this.poolDefaults(),
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

  /** Exchange Online allows 30 messages a minute per mailbox: queue rather than be refused. */
  private bearerLimiter(settings: BearerSmtpSettings): SlidingWindowLimiter | undefined {
    const limit = this.options.microsoft?.rateLimit ?? DEFAULTS.microsoft.rateLimit;
    if (!limit) return undefined;
    const mailbox = `${settings.tenantId}/${settings.username}`.toLowerCase();
    const limiter =
      this.limiters.get(mailbox) ?? new SlidingWindowLimiter(limit.limit, limit.windowMs);
    this.limiters.set(mailbox, limiter);
    return limiter;
  }

  private poolDefaults(): Partial<SMTPPoolOptions> {
    const pool = this.options.pool ?? {};
    return Object.fromEntries(Object.entries(pool).filter(([, v]) => v !== undefined));
  }
}
