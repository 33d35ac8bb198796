import { Module, type DynamicModule } from '@nestjs/common';
import { MailerService } from './mailer/mailer.service';
import { LiveSmtpTransport } from './transport/live-smtp-transport';
import { SmtpChannelFactory } from './transport/smtp-channel.factory';
import { SmtpVerifier } from './transport/verify/smtp-verifier';
import { SmtpSettingsService } from './settings/smtp-settings.service';
import { TenantSettings } from './settings/tenant-settings';
import { BackupSettings } from './settings/backup-settings';
import { FAILOVER_CLOCK } from './transport/failover-circuits';
import { ConfigurableSmtpSettingsModule } from './smtp-settings.module-definition';
import {
  outboxProvider,
  sealerProvider,
  storeProvider,
  upgradeCenterProvider,
} from './smtp-settings.providers';
import { OutboxService } from './outbox/outbox.service';
import { MAIL_PROVIDERS } from './providers/mail-providers';
import { SMTP_SETTINGS_MAIL_PROVIDERS } from './options/smtp-settings.constants';
import { SmtpSettingsStartupChecks } from './smtp-settings.startup-checks';
import { SmtpSettingsStore } from './interfaces/smtp-settings-store.interface';
import { UpgradeCenter } from './interfaces/upgrade-center.interface';
import type {
  SmtpSettingsModuleExtras,
  SmtpSettingsModuleOptions,
} from './options/smtp-settings-options.interface';
import type { SmtpSettingsModuleAsyncOptions } from './options/smtp-settings-async-options.interface';

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
    // The registry of mail providers: the rooms below receive it here, never import it.
    { provide: SMTP_SETTINGS_MAIL_PROVIDERS, useValue: MAIL_PROVIDERS },
    storeProvider,
    upgradeCenterProvider,
    sealerProvider,
    // Every tenant's settings, secrets included: for the transport and the verifier, never exported.
    TenantSettings,
    BackupSettings,
    SmtpSettingsService,
    // The controller's guards are not listed: Nest creates them from its @UseGuards, and only when
    // the routes are served (`routes: false` leaves the controller out).
    SmtpChannelFactory,
    // The failover circuits' clock; tests override it.
    { provide: FAILOVER_CLOCK, useValue: () => Date.now() },
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
export class SmtpSettingsModule {
  /** The module with options known now; `isGlobal`, `path` and `routes` shape the module itself. */
  static forRoot(options: SmtpSettingsModuleOptions & SmtpSettingsModuleExtras): DynamicModule {
    return { ...ConfigurableSmtpSettingsModule.forRoot(options), module: SmtpSettingsModule };
  }

  /**
   * The module with options from `useFactory` (with `inject` and `imports`), `useClass` or
   * `useExisting`; `isGlobal`, `path` and `routes` stay static, since routes are registered before
   * any factory runs.
   */
  static forRootAsync(options: SmtpSettingsModuleAsyncOptions): DynamicModule {
    return { ...ConfigurableSmtpSettingsModule.forRootAsync(options), module: SmtpSettingsModule };
  }
}
