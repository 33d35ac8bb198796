import { Logger, type Provider, type Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { resolve } from 'node:path';
import { parseEncryptionKey, SecretSealer } from './crypto/secret-sealer';
import type { SmtpSettingsModuleOptions } from './options/smtp-settings-options.interface';
import {
  DEFAULT_DATA_FILE,
  SMTP_SETTINGS_MODULE_OPTIONS,
  SMTP_SETTINGS_SEALER,
} from './options/smtp-settings.constants';
import { FileSmtpSettingsStore } from './stores/file-smtp-settings.store';
import { SmtpSettingsStore } from './interfaces/smtp-settings-store.interface';
import { OptionsUpgradeCenter } from './upgrades/options-upgrade-center';
import { UpgradeCenter } from './interfaces/upgrade-center.interface';

/** A class option is instantiated with dependency injection; anything else is used as it is. */
function isClass<T>(value: unknown): value is Type<T> {
  return typeof value === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(value));
}

export const storeProvider: Provider = {
  provide: SmtpSettingsStore,
  inject: [SMTP_SETTINGS_MODULE_OPTIONS, ModuleRef],
  useFactory: (options: SmtpSettingsModuleOptions, moduleRef: ModuleRef) => {
    const store = options.store;
    if (isClass<SmtpSettingsStore>(store)) return moduleRef.create(store);
    return (
      store ??
      new FileSmtpSettingsStore({
        path: resolve(options.dataFile ?? DEFAULT_DATA_FILE),
        historyLimit: options.historyLimit,
        logger: new Logger('SmtpSettings'),
      })
    );
  },
};

export const upgradeCenterProvider: Provider = {
  provide: UpgradeCenter,
  inject: [SMTP_SETTINGS_MODULE_OPTIONS, ModuleRef],
  useFactory: (options: SmtpSettingsModuleOptions, moduleRef: ModuleRef) => {
    const upgrades = options.upgrades;
    if (isClass<UpgradeCenter>(upgrades)) return moduleRef.create(upgrades);
    if (upgrades === undefined || Array.isArray(upgrades) || typeof upgrades === 'function') {
      return new OptionsUpgradeCenter(
        upgrades as ConstructorParameters<typeof OptionsUpgradeCenter>[0],
      );
    }
    return upgrades;
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
    if (!store.defaultEncryptionKey) {
      throw new Error(
        `SmtpSettingsModule: encryptionKey is required with ${store.constructor.name}, which cannot keep a key of its own`,
      );
    }
    return new SecretSealer(await store.defaultEncryptionKey(), previous);
  },
};
