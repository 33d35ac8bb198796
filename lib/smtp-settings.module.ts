import { Module } from '@nestjs/common';
import { MailerService } from './mailer/mailer.service';
import { MicrosoftTokenProvider } from './microsoft/microsoft-token.provider';
import { GoogleTokenProvider } from './google/google-token.provider';
import { LiveSmtpTransport } from './transport/live-smtp-transport';
import { SmtpChannelFactory } from './transport/smtp-channel.factory';
import { SmtpVerifier } from './transport/verify/smtp-verifier';
import { SmtpSettingsService } from './settings/smtp-settings.service';
import { ConfigurableSmtpSettingsModule } from './smtp-settings.module-definition';
import {
  outboxProvider,
  sealerProvider,
  storeProvider,
  upgradeCenterProvider,
} from './smtp-settings.providers';
import { OutboxService } from './outbox/outbox.service';
import { SmtpSettingsStartupChecks } from './smtp-settings.startup-checks';
import { SmtpSettingsStore } from './interfaces/smtp-settings-store.interface';
import { UpgradeCenter } from './interfaces/upgrade-center.interface';

/**
 * Run-time SMTP settings: the admin REST API, the settings service and its store, and the
 * `MailerService` that sends through whatever is configured.
 *
 * ```ts
 * SmtpSettingsModule.forRoot({ guards: [AdminGuard], upgrades: ['smtp-oauth'] })
 * // A worker that only sends: no REST routes, so no guard either.
 * SmtpSettingsModule.forRoot({ routes: false, store, encryptionKey })
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
    // The controller's guards are not listed: Nest creates them from its @UseGuards, and only when
    // the routes are served (`routes: false` leaves the controller out).
    MicrosoftTokenProvider,
    GoogleTokenProvider,
    SmtpChannelFactory,
    LiveSmtpTransport,
    SmtpVerifier,
    // null without the outbox option.
    outboxProvider,
    MailerService,
  ],
  exports: [
    SmtpSettingsService,
    SmtpSettingsStore,
    UpgradeCenter,
    MailerService,
    LiveSmtpTransport,
    OutboxService,
  ],
})
export class SmtpSettingsModule extends ConfigurableSmtpSettingsModule {}
