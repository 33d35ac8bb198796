import { Inject, Injectable } from '@nestjs/common';
import type { SMTPPoolOptions } from 'nodemailer';
import SMTPPool from 'nodemailer/lib/smtp-pool';
import type { SmtpSettingsModuleOptions } from '../interfaces/smtp-settings-module-options.interface';
import { DEFAULT_RELAY_MAX_RECIPIENTS } from '../settings/smtp-settings.defaults';
import type { SmtpSettings } from '../settings/smtp-settings.types';
import { SMTP_SETTINGS_MODULE_OPTIONS } from '../smtp-settings.constants';
import { formatSender } from './sender';
import { SmtpRoute } from './smtp-route';
import { tlsOptionsFor } from './tls-mapping';

/** Builds the pooled transporter for the relay or for a version of the custom settings. */
@Injectable()
export class SmtpRouteFactory {
  constructor(
    @Inject(SMTP_SETTINGS_MODULE_OPTIONS) protected readonly options: SmtpSettingsModuleOptions,
  ) {}

  get hasRelay(): boolean {
    return this.options.relay !== undefined;
  }

  relay(version: number): SmtpRoute {
    const relay = this.options.relay!;
    return new SmtpRoute(
      'relay',
      version,
      new SMTPPool(this.relayTransportOptions()),
      { from: relay.from },
      {
        maxRecipients: relay.maxRecipients ?? DEFAULT_RELAY_MAX_RECIPIENTS,
        policy: relay.recipientPolicy ?? 'reject',
      },
    );
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

  custom(version: number, settings: SmtpSettings): SmtpRoute {
    return new SmtpRoute('custom', version, new SMTPPool(this.transportOptions(settings, true)), {
      from: formatSender(settings),
      replyTo: settings.replyTo,
    });
  }

  /** Options for one connection to the custom server: pooled for sending, single for verify. */
  transportOptions(settings: SmtpSettings, pool: boolean): SMTPPoolOptions {
    return {
      ...this.poolDefaults(),
      host: settings.hostname,
      port: settings.port,
      ...tlsOptionsFor(settings, this.options.tls),
      auth: this.auth(settings),
      pool,
    } as SMTPPoolOptions;
  }

  /** Bearer settings authenticate with XOAUTH2 through the Microsoft token provider. */
  protected auth(settings: SmtpSettings): SMTPPoolOptions['auth'] {
    if (settings.type === 'basic') return { user: settings.username, pass: settings.password };
    throw new Error('Bearer authentication needs the Microsoft token provider');
  }

  private poolDefaults(): Partial<SMTPPoolOptions> {
    const pool = this.options.pool ?? {};
    return Object.fromEntries(Object.entries(pool).filter(([, v]) => v !== undefined));
  }
}
