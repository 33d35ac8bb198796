import { Inject, Injectable } from '@nestjs/common';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { SmtpSettingsModuleOptions } from '../../options/smtp-settings-options.interface';
import { BackupSettings } from '../../settings/backup-settings';
import { BackupMissingError } from '../../errors/backup-missing.error';
import type { SmtpConnectionName } from '../../interfaces/smtp-connection.interface';
import { TenantSettings } from '../../settings/tenant-settings';
import type { SmtpSettings } from '../../interfaces/smtp-settings.types';
import { SMTP_SETTINGS_MODULE_OPTIONS } from '../../options/smtp-settings.constants';
import { SMTP_SETTINGS_OPTION_DEFAULTS } from '../../options/smtp-settings.defaults';
import { SmtpSettingsError } from '../../errors/smtp-settings.error';
import { TokenRequestFailedError } from '../../errors/token-request-failed.error';
import { ChannelMissingError } from '../../errors/channel-missing.error';
import { UpgradeRequiredError } from '../../errors/upgrade-required.error';
import { UpgradeCenter } from '../../interfaces/upgrade-center.interface';
import { requireUpgradeFor } from '../../upgrades/require-upgrade';
import { SmtpChannelFactory } from '../smtp-channel.factory';
import { relayAdminChannel, type AdminChannel } from './admin-channel';
import { blockedExplanation } from '../../diagnosis/blocked-explanation';
import { explainSmtpFailure, type Explanation } from '../../diagnosis/explain-smtp-failure';
import { checkSmtpSession, type SessionCheck } from './smtp-session-check';
import { sendTestEmailOver } from './test-email';
import type { TestEmailResult } from '../../interfaces/test-email-result.interface';
import type { VerifyResult } from '../../interfaces/verify-result.interface';
import { smtpTelemetry } from '../../telemetry/smtp-telemetry';

/** Checks a server the way a send would reach it, over a connection of its own. */
@Injectable()
export class SmtpVerifier {
  constructor(
    private readonly settings: TenantSettings,
    private readonly backups: BackupSettings,
    private readonly channels: SmtpChannelFactory,
    @Inject(SMTP_SETTINGS_MODULE_OPTIONS) private readonly options: SmtpSettingsModuleOptions,
    @Inject(UpgradeCenter) private readonly upgrades: UpgradeCenter,
  ) {}

  /**
   * The tenant's saved settings, or `input`: unsaved settings validated first against the tenant's
   * (invalid ones throw, as PUT would). `tenant` is a valid tenant id.
   */
  verify(
    input: unknown,
    tenant: string,
    connection: SmtpConnectionName = 'main',
  ): Promise<VerifyResult> {
    const check = () => this.verifyNow(input, tenant, connection);
    return smtpTelemetry(this.options).verify(tenant, connection, check);
  }

  private async verifyNow(
    input: unknown,
    tenant: string,
    connection: SmtpConnectionName,
  ): Promise<VerifyResult> {
    if (input !== undefined && !isEmptyBody(input)) {
      const source = connection === 'backup' ? this.backups : this.settings;
      const settings = await source.validate(input, tenant);
      return this.check(this.customChannel(0, settings, tenant));
    }
    let channel: AdminChannel;
    try {
      channel = await this.currentChannel('Bearer authentication', tenant, connection);
    } catch (error) {
      // Saved before the upgrade was removed: as sending does, refuse rather than reach out.
      if (error instanceof UpgradeRequiredError || !(error instanceof SmtpSettingsError)) {
        throw error;
      }
      const kind = error instanceof ChannelMissingError ? 'relay' : 'custom';
      return { ok: false, ...blockedExplanation(error), durationMs: 0, route: kind };
    }
    return this.check(channel);
  }

  /**
   * One short message from the tenant's configured sender through its current channel, on a
   * connection of its own: the pool may still hold a session from before a server-side fix.
   */
  sendTestEmail(
    to: string,
    tenant: string,
    connection: SmtpConnectionName = 'main',
  ): Promise<TestEmailResult> {
    const send = () => this.sendTestEmailNow(to, tenant, connection);
    return smtpTelemetry(this.options).testEmail(tenant, connection, send);
  }

  private async sendTestEmailNow(
    to: string,
    tenant: string,
    connection: SmtpConnectionName,
  ): Promise<TestEmailResult> {
    let channel: AdminChannel;
    try {
      const feature = 'Sending with Bearer authentication';
      channel = await this.currentChannel(feature, tenant, connection);
    } catch (error) {
      if (error instanceof SmtpSettingsError) return { ok: false, ...blockedExplanation(error) };
      throw error;
    }
    const token = await this.tokenProblem(channel);
    if (token) return { ok: false, ...token };
    return sendTestEmailOver(channel, to);
  }

  private async check(channel: AdminChannel): Promise<VerifyResult> {
    const started = performance.now();
    const done = (partial: Omit<VerifyResult, 'durationMs' | 'route'>): VerifyResult => ({
      ...partial,
      durationMs: Math.round(performance.now() - started),
      route: channel.kind,
    });
    const { target } = channel;
    if (channel.checkMailbox) {
      // A provider's own check (Graph's): the token, then whether the app may send as the mailbox.
      const token = await this.tokenProblem(channel);
      return done(token ? { ok: false, ...token } : await channel.checkMailbox());
    }
    if (!isIP(target.hostname)) {
      try {
        await lookup(target.hostname);
      } catch (error) {
        return done({
          ok: false,
          ...explainSmtpFailure({ code: 'EDNS', message: (error as Error).message }, target),
        });
      }
    }
    const token = await this.tokenProblem(channel);
    if (token) return done({ ok: false, ...token });
    try {
      const session = await checkSmtpSession(channel.options);
      return done({ ok: true, stage: 'auth', code: null, message: passed(channel, session) });
    } catch (error) {
      const { stage, code, message } = explainSmtpFailure(error, target);
      return done({ ok: false, stage, code, message });
    }
  }

  /**
   * The tenant's saved settings, or the relay; its saved backup (never the relay) for `backup`.
   * Throws a domain error when nothing may be sent.
   */
  private async currentChannel(
    feature: string,
    tenant: string,
    connection: SmtpConnectionName,
  ): Promise<AdminChannel> {
    const source = connection === 'backup' ? this.backups : this.settings;
    const { version, settings } = await source.getWithSecrets(tenant);
    if (settings) {
      await requireUpgradeFor(this.upgrades, settings.type, feature, 'request', tenant);
      return this.customChannel(version, settings, tenant);
    }
    if (connection === 'backup') throw new BackupMissingError();
    if (!this.channels.hasRelay) throw new ChannelMissingError();
    return relayAdminChannel(this.channels, version, this.options.relay?.from, this.timeoutMs);
  }

  private customChannel(version: number, settings: SmtpSettings, tenant: string): AdminChannel {
    return this.channels.adminChannel(tenant, version, settings, this.timeoutMs);
  }

  /** A Bearer token first, so that a sign-in problem is reported at its own stage. */
  private async tokenProblem(channel: AdminChannel): Promise<Explanation | undefined> {
    if (!channel.tokens) return undefined;
    try {
      await channel.tokens(false);
      return undefined;
    } catch (error) {
      if (!(error instanceof TokenRequestFailedError)) throw error;
      const { code, message, field } = error;
      return { stage: 'token', code, message, ...(field ? { field } : {}) };
    }
  }

  private get timeoutMs(): number {
    return this.options.verifyTimeoutMs ?? SMTP_SETTINGS_OPTION_DEFAULTS.verifyTimeoutMs;
  }
}

/** Says what was checked, and "authenticated" only when a sign-in really succeeded. */
function passed({ target }: AdminChannel, session: SessionCheck): string {
  const tls = { implicit: 'over implicit TLS', starttls: 'with STARTTLS', none: 'without TLS' }[
    session.tls
  ];
  const where = `${target.hostname}:${target.port}`;
  return session.authenticated
    ? `connected to ${where} ${tls} and authenticated`
    : `connected to ${where} ${tls}; no authentication is configured`;
}

function isEmptyBody(input: unknown): boolean {
  return (
    typeof input === 'object' &&
    input !== null &&
    !Array.isArray(input) &&
    Object.keys(input).length === 0
  );
}
