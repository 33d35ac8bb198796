import { Logger, type Provider } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { resolve } from 'node:path';
import { parseEncryptionKey, SecretSealer } from './crypto/secret-sealer';
import type { SmtpSettingsModuleOptions } from './options/smtp-settings-options.interface';
import {
  SMTP_SETTINGS_MAIL_PROVIDERS,
  SMTP_SETTINGS_MODULE_OPTIONS,
  SMTP_SETTINGS_SEALER,
} from './options/smtp-settings.constants';
import { SMTP_SETTINGS_OPTION_DEFAULTS } from './options/smtp-settings.defaults';
import { instanceKey } from './crypto/instance-key';
import { FileSmtpSettingsStore } from './stores/file/file-smtp-settings.store';
import { fileStoreKey } from './stores/file/file-store-key';
import { InMemorySmtpSettingsStore } from './stores/in-memory-smtp-settings.store';
import { SmtpSettingsStore } from './interfaces/smtp-settings-store.interface';
import { OptionsUpgradeCenter } from './upgrades/options-upgrade-center';
import { OutboxService } from './outbox/outbox.service';
import { routeRateLimit } from './outbox/rate-limit/route-rate-limit';
import { SmtpSettingsService } from './settings/smtp-settings.service';
import { LiveSmtpTransport } from './transport/live-smtp-transport';
import type { MailProviderDescriptor } from './transport/mail-provider-descriptor.interface';
import { UpgradeCenter } from './interfaces/upgrade-center.interface';

export const storeProvider: Provider = {
  provide: SmtpSettingsStore,
  inject: [SMTP_SETTINGS_MODULE_OPTIONS, ModuleRef],
  useFactory: (options: SmtpSettingsModuleOptions, moduleRef: ModuleRef) => {
    onlyOne(options, 'store', 'storeClass');
    if (options.storeClass) return moduleRef.create(options.storeClass);
    return (
      options.store ??
      new FileSmtpSettingsStore({
        path: resolve(options.dataFile ?? SMTP_SETTINGS_OPTION_DEFAULTS.dataFile),
        logger: new Logger('SmtpSettings'),
      })
    );
  },
};

export const upgradeCenterProvider: Provider = {
  provide: UpgradeCenter,
  inject: [SMTP_SETTINGS_MODULE_OPTIONS, ModuleRef],
  useFactory: (options: SmtpSettingsModuleOptions, moduleRef: ModuleRef) => {
    onlyOne(options, 'upgrades', 'upgradeCenterClass');
    if (options.upgradeCenterClass) return moduleRef.create(options.upgradeCenterClass);
    const upgrades = options.upgrades;
    // A function is a function of an id, never a class: classes come through upgradeCenterClass.
    return upgrades === undefined || typeof upgrades === 'function' || isIdList(upgrades)
      ? new OptionsUpgradeCenter(upgrades)
      : upgrades;
  },
};

export const sealerProvider: Provider = {
  provide: SMTP_SETTINGS_SEALER,
  inject: [SMTP_SETTINGS_MODULE_OPTIONS, SmtpSettingsStore],
  useFactory: async (options: SmtpSettingsModuleOptions, store: SmtpSettingsStore) => {
    const previous = (options.previousEncryptionKeys ?? []).map((key, i) =>
      parseEncryptionKey(key, `previousEncryptionKeys[${i}]`),
    );
    if (options.encryptionKey !== undefined) {
      return new SecretSealer(parseEncryptionKey(options.encryptionKey), previous);
    }
    return new SecretSealer(await defaultKeyFor(store), previous);
  },
};

/**
 * The outbox, only with the `outbox` option; without it the token resolves to `null`, so that
 * `MailerService.enqueue` can say what is missing.
 */
export const outboxProvider: Provider = {
  provide: OutboxService,
  inject: [
    SMTP_SETTINGS_MODULE_OPTIONS,
    LiveSmtpTransport,
    SmtpSettingsService,
    SMTP_SETTINGS_MAIL_PROVIDERS,
  ],
  useFactory: (
    options: SmtpSettingsModuleOptions,
    transport: LiveSmtpTransport,
    settings: SmtpSettingsService,
    providers: readonly MailProviderDescriptor[],
  ) =>
    options.outbox
      ? new OutboxService(options, transport, settings, (tenant, state) =>
          routeRateLimit(tenant, state, options, providers),
        )
      : null,
};

/** Without `encryptionKey`: a key that the store's own data lives with, for the stores that have one. */
async function defaultKeyFor(store: SmtpSettingsStore): Promise<Buffer> {
  const logger = new Logger('SmtpSettings');
  if (store instanceof FileSmtpSettingsStore) return fileStoreKey(store, logger);
  // Nothing survives a restart there, so a key that lives as long as the store is enough.
  if (store instanceof InMemorySmtpSettingsStore) return instanceKey(store);
  throw new Error(
    `SmtpSettingsModule: encryptionKey is required with ${store.constructor.name}, which cannot keep a key of its own`,
  );
}

function isIdList(upgrades: SmtpSettingsModuleOptions['upgrades']): upgrades is readonly string[] {
  return Array.isArray(upgrades);
}

/** An instance and a class of the same part: which one was meant is not for the module to guess. */
function onlyOne(
  options: SmtpSettingsModuleOptions,
  a: keyof SmtpSettingsModuleOptions,
  b: keyof SmtpSettingsModuleOptions,
): void {
  if (options[a] !== undefined && options[b] !== undefined) {
    throw new Error(`SmtpSettingsModule: give either ${a} or ${b}, not both`);
  }
}
