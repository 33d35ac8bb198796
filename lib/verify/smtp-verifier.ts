import { Inject, Injectable } from '@nestjs/common';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { createTransport, type SMTPPoolOptions } from 'nodemailer';
import type { SmtpSettingsModuleOptions } from '../interfaces/smtp-settings-module-options.interface';
import { SmtpSettingsService } from '../settings/smtp-settings.service';
import type { SmtpSettings } from '../settings/smtp-settings.types';
import { SMTP_SETTINGS_MODULE_OPTIONS } from '../smtp-settings.constants';
import { SmtpSettingsError } from '../errors/smtp-settings.error';
import { MicrosoftTokenError } from '../microsoft/microsoft-token.error';
import { NoRouteError } from '../transport/no-route.error';
import { UpgradeRequiredError } from '../errors/upgrade-required.error';
import { UpgradeCenter } from '../upgrades/upgrade-center.interface';
import { SMTP_OAUTH_UPGRADE } from '../upgrades/upgrades.constants';
import { SmtpRouteFactory } from '../transport/smtp-route.factory';
import { explainSmtpFailure, type Explanation } from './explain-smtp-failure';
import type { VerifyResult } from './verify-result.interface';

const DEFAULT_TIMEOUT_MS = 15_000;

/** Checks a server the way a send would reach it, once, sending nothing. */
@Injectable()
export class SmtpVerifier {
  constructor(
    private readonly settings: SmtpSettingsService,
    private readonly routes: SmtpRouteFactory,
    @Inject(SMTP_SETTINGS_MODULE_OPTIONS) private readonly options: SmtpSettingsModuleOptions,
    @Inject(UpgradeCenter) private readonly upgrades: UpgradeCenter,
  ) {}

  /** Unsaved settings are validated first: invalid ones throw, as PUT would. */
  async verify(input?: unknown): Promise<VerifyResult> {
    const settings =
      input === undefined || isEmptyBody(input)
        ? this.settings.resolve().settings
        : await this.settings.prepare(input);
    if (settings?.type === 'bearer' && !(await this.upgrades.isInstalled(SMTP_OAUTH_UPGRADE.id))) {
      // Saved before the upgrade was removed: as sending does, refuse rather than reach out.
      throw new UpgradeRequiredError(
        SMTP_OAUTH_UPGRADE.id,
        SMTP_OAUTH_UPGRADE.name,
        'Bearer authentication',
      );
    }
    if (settings) return this.check(settings, 'custom');
    if (!this.routes.hasRelay) {
      const { code, message } = new NoRouteError();
      return { ok: false, stage: 'connect', code, message, durationMs: 0, route: 'relay' };
    }
    return this.checkRelay();
  }

  protected async check(
    target: SmtpSettings,
    route: VerifyResult['route'],
    relayOptions?: SMTPPoolOptions,
  ): Promise<VerifyResult> {
    const started = performance.now();
    const done = (partial: Omit<VerifyResult, 'durationMs' | 'route'>): VerifyResult => ({
      ...partial,
      durationMs: Math.round(performance.now() - started),
      route,
    });
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
    // A fresh token every time: verify is how an admin checks a new client secret.
    const tokens = target.type === 'bearer' ? this.routes.oneOffTokens(target) : undefined;
    if (tokens) {
      try {
        await tokens(false);
      } catch (error) {
        const { code, message } = error as MicrosoftTokenError;
        return done({ ok: false, stage: 'token', code, message });
      }
    }
    const options = relayOptions ?? this.routes.transportOptions(target, false, tokens);
    const timeout = this.options.verifyTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    const transporter = createTransport({
      ...options,
      pool: false,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
    } as SMTPPoolOptions);
    try {
      await transporter.verify();
      return done({
        ok: true,
        stage: 'auth',
        code: null,
        message: `connected to ${target.hostname}:${target.port} and authenticated`,
      });
    } catch (error) {
      return done({ ok: false, ...explainSmtpFailure(error, target) });
    } finally {
      transporter.close();
    }
  }

  /** Explains a failed send through the current route, in the words `verify` uses. */
  explain(error: unknown): Explanation {
    if (error instanceof MicrosoftTokenError)
      return { stage: 'token', code: error.code, message: error.message };
    if (error instanceof SmtpSettingsError)
      return { stage: 'connect', code: error.code, message: error.message };
    return explainSmtpFailure(error, this.settings.resolve().settings ?? this.relayTarget());
  }

  private checkRelay(): Promise<VerifyResult> {
    return this.check(this.relayTarget(), 'relay', this.routes.relayTransportOptions());
  }

  private relayTarget(): SmtpSettings {
    const options = this.routes.relayTransportOptions();
    const url = options.url ? new URL(options.url) : undefined;
    const useTls = url ? url.protocol === 'smtps:' : options.secure === true;
    const target = {
      hostname: url?.hostname ?? options.host ?? 'localhost',
      port: Number(url?.port || options.port || (useTls ? 465 : 587)),
      useTls,
    };
    return target as SmtpSettings;
  }
}

function isEmptyBody(input: unknown): boolean {
  return (
    typeof input === 'object' &&
    input !== null &&
    !Array.isArray(input) &&
    Object.keys(input).length === 0
  );
}
