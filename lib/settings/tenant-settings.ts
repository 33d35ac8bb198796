import { Inject, Injectable } from '@nestjs/common';
import type { SecretSealer } from '../crypto/secret-sealer';
import type { SmtpBackupState } from '../interfaces/smtp-connection.interface';
import {
  SmtpSettingsStore,
  type SmtpSettingsRecord,
} from '../interfaces/smtp-settings-store.interface';
import type { SmtpSettingsState } from '../interfaces/smtp-settings.types';
import { UpgradeCenter } from '../interfaces/upgrade-center.interface';
import type { SmtpSettingsModuleOptions } from '../options/smtp-settings-options.interface';
import {
  SMTP_SETTINGS_MAIL_PROVIDERS,
  SMTP_SETTINGS_MODULE_OPTIONS,
  SMTP_SETTINGS_SEALER,
} from '../options/smtp-settings.constants';
import { SMTP_SETTINGS_OPTION_DEFAULTS } from '../options/smtp-settings.defaults';
import { assertServedTenantId } from './backup-tenant';
import { ConnectionSettings } from './connection-settings';
import type { ProviderSettingsList } from './provider-settings.interface';
import { migrateLegacySecret } from './legacy-secret-migration';

/**
 * The settings of every tenant, secrets included: internal to the module, never exported by it.
 * `SmtpSettingsService` shows them to the app without secrets; only the module's own transport and
 * verifier open them here (`getWithSecrets`, `validate`). A tenant's record lives in the store
 * under the tenant itself; `ConnectionSettings` reads, follows, validates and saves it.
 */
@Injectable()
export class TenantSettings extends ConnectionSettings<SmtpSettingsState> {
  /** The tenant of every call that names none: the `defaultTenant` option, validated. */
  readonly defaultTenant: string;

  constructor(
    @Inject(SMTP_SETTINGS_MODULE_OPTIONS) options: SmtpSettingsModuleOptions,
    @Inject(SmtpSettingsStore) store: SmtpSettingsStore,
    @Inject(SMTP_SETTINGS_SEALER) sealer: SecretSealer,
    @Inject(UpgradeCenter) upgrades: UpgradeCenter,
    @Inject(SMTP_SETTINGS_MAIL_PROVIDERS) providers: ProviderSettingsList,
  ) {
    super(
      { options, store, sealer, upgrades, providers },
      { name: 'SMTP settings', connection: 'main', storeTenantOf: (tenant) => tenant },
    );
    this.defaultTenant = assertServedTenantId(
      options.defaultTenant ?? SMTP_SETTINGS_OPTION_DEFAULTS.defaultTenant,
      'The defaultTenant option',
    );
  }

  /**
   * Follows the store, and reads the default tenant, so that a store that cannot be read stops the
   * start; other tenants are read on first use.
   */
  override async onModuleInit(): Promise<void> {
    super.onModuleInit();
    await this.records.get(this.defaultTenant);
  }

  /** The main settings close the store: the module opened it for them. */
  override async onApplicationShutdown(): Promise<void> {
    super.onApplicationShutdown();
    await this.store.close?.();
  }

  override tenantOf(tenant: string | undefined): string {
    return tenant === undefined ? this.defaultTenant : assertServedTenantId(tenant, 'The tenant');
  }

  /** `relay` while no settings are saved: mail then goes out through the vendor relay. */
  protected override present(state: SmtpBackupState): SmtpSettingsState {
    return { source: state.settings ? 'custom' : 'relay', ...state };
  }

  /** A tenant's first use: its record, with a secret that 0.1.0 sealed resealed. */
  protected override async load(tenant: string): Promise<SmtpSettingsRecord | null> {
    let record = await super.load(tenant);
    const unwritten = await migrateLegacySecret({
      tenant,
      store: this.store,
      logger: this.logger,
      providers: this.secrets.providers,
      current: () => record,
      accept: (newer, origin) => {
        if (record && newer.version <= record.version) return;
        record = newer;
        this.emit(tenant, newer, origin);
      },
      reseal: (settings) => this.secrets.reseal(tenant, settings),
    });
    return unwritten ?? record;
  }
}
