import { Module } from '@nestjs/common';
import { MailerService } from './mailer/mailer.service';
import { MicrosoftTokenProvider } from './microsoft/microsoft-token.provider';
import { LiveSmtpTransport } from './transport/live-smtp-transport';
import { SmtpChannelFactory } from './transport/smtp-channel.factory';
import { SmtpVerifier } from './transport/verify/smtp-verifier';
import { AdminActionsThrottlerGuard } from './http/admin-actions-throttler.guard';
import { SmtpSettingsAccessGuard } from './http/smtp-settings-access.guard';
import { SmtpSettingsService } from './settings/smtp-settings.service';
import { ConfigurableSmtpSettingsModule } from './smtp-settings.module-definition';
import { sealerProvider, storeProvider, upgradeCenterProvider } from './smtp-settings.providers';
import { SmtpSettingsStartupChecks } from './smtp-settings.startup-checks';
import { SmtpSettingsStore } from './interfaces/smtp-settings-store.interface';
import { BearerUpgradeGuard } from './http/bearer-upgrade.guard';
import { UpgradeCenter } from './interfaces/upgrade-center.interface';

/**
 * Run-time SMTP settings: the admin REST API, the settings service and its store, and the
 * `MailerService` that sends through whatever is configured.
 *
 * ```ts
 * SmtpSettingsModule.forRoot({ guards: [AdminGuard], upgrades: ['smtp-oauth'] })
 * ```
 */
@Module({
  providers: [
    // First, so that a refused option stops the module before a store or a pool is opened.
    SmtpSettingsStartupChecks,
    storeProvider,
    upgradeCenterProvider,
    sealerProvider,
    SmtpSettingsService,
    SmtpSettingsAccessGuard,
    BearerUpgradeGuard,
    AdminActionsThrottlerGuard,
    MicrosoftTokenProvider,
    SmtpChannelFactory,
    LiveSmtpTransport,
    SmtpVerifier,
    MailerService,
  ],
  exports: [
    SmtpSettingsService,
    SmtpSettingsStore,
    UpgradeCenter,
    MailerService,
    LiveSmtpTransport,
  ],
})
export class SmtpSettingsModule extends ConfigurableSmtpSettingsModule {}
