import { Inject, Injectable } from '@nestjs/common';
import { createTransport, type SMTPPoolOptions } from 'nodemailer';
import type { SmtpSettingsModuleOptions } from '../options/smtp-settings-options.interface';
import { MicrosoftTokenProvider, type AccessToken } from '../microsoft/microsoft-token.provider';
import { SMTP_SETTINGS_OPTION_DEFAULTS as DEFAULTS } from '../options/smtp-settings.defaults';
import type { BearerSmtpSettings, SmtpSettings } from '../interfaces/smtp-settings.types';
import { SMTP_SETTINGS_MODULE_OPTIONS } from '../options/smtp-settings.constants';
import { formatSender } from './sender';
import { SlidingWindowLimiter } from './sliding-window-limiter';
import { SmtpChannel, type ChannelTarget } from './smtp-channel';
import { tlsOptionsFor } from './tls-mapping';

/** A token for a connection; `rejected`, when known, is the token the server just refused. */
type TokenSource = (renew: boolean, rejected?: string) => Promise<AccessToken>;

/** Builds the pooled transporter for the relay or for a version of the custom settings. */
@Injectable()
export class SmtpChannelFactory {
  /** One per mailbox, kept across settings versions: saving settings must not reset its budget. */
  private readonly limiters = new Map<string, SlidingWindowLimiter>();

  constructor(
    @Inject(SMTP_SETTINGS_MODULE_OPTIONS) protected readonly options: SmtpSettingsModuleOptions,
    protected readonly tokens: MicrosoftTokenProvider,
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
    });
  }

  /** The relay's options; a private CA from the module options applies to it too. */
  relayTransportOptions(): SMTPPoolOptions {
    const transport = this.options.relay!.transport;
    const base: SMTPPoolOptions = typeof transport === 'string' ? { url: transport } : transport;
    const ca = this.options.tls?.ca;
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

  custom(version: number, settings: SmtpSettings): SmtpChannel {
    const tokens = settings.type === 'bearer' ? this.tokenSource(version, settings) : undefined;
    return new SmtpChannel({
      kind: 'custom',
      version,
      target: settings,
      transporter: createTransport(this.transportOptions(settings, true, tokens)),
      defaults: { from: formatSender(settings), replyTo: settings.replyTo },
      authType: settings.type,
      prepare: tokens
        ? async (renew, rejected) => (await tokens(renew, rejected)).accessToken
        : undefined,
      limiter: settings.type === 'bearer' ? this.bearerLimiter(settings) : undefined,
    });
  }

  /** A token source for unsaved Bearer settings, as `verify` checks them. */
  oneOffTokens(settings: BearerSmtpSettings): TokenSource {
    let token: Promise<AccessToken> | undefined;
    return (renew: boolean) => (!renew && token) || (token = this.tokens.tokenOnce(settings));
  }

  /** Options for the custom server: pooled for sending, a single connection for verify. */
  transportOptions(settings: SmtpSettings, pool: boolean, tokens?: TokenSource): SMTPPoolOptions {
    return {
      ...this.poolDefaults(),
      host: settings.hostname,
      port: settings.port,
      ...tlsOptionsFor(settings, this.options.tls),
      auth:
        settings.type === 'basic'
          ? { user: settings.username, pass: settings.password }
          : xoauth2(settings, tokens!),
      // Credentials are configured: a server that offers no AUTH must fail, not go unauthenticated.
      forceAuth: true,
      pool,
    } as SMTPPoolOptions;
  }

  private tokenSource(version: number, settings: BearerSmtpSettings): TokenSource {
    return (renew, rejected) => this.tokens.token(version, settings, renew, rejected);
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

/** XOAUTH2 as the mailbox, with tokens from the provider; nodemailer reuses one until `expires`. */
function xoauth2(settings: BearerSmtpSettings, tokens: TokenSource): SMTPPoolOptions['auth'] {
  return {
    type: 'OAuth2',
    user: settings.username,
    // A method, not an arrow: nodemailer calls it on the connection's XOAuth2 object, whose
    // `accessToken` is the token the server refused when `renew` is set.
    provisionCallback(
      this: { accessToken?: string | false } | undefined,
      _user: string,
      renew: boolean,
      callback: (error: Error | null, token?: string, expires?: number) => void,
    ) {
      tokens(renew, (renew && this?.accessToken) || undefined).then(
        (token) => callback(null, token.accessToken, token.expiresOn),
        (error: Error) => callback(error),
      );
    },
  } as SMTPPoolOptions['auth'];
}
