import { Inject, Injectable } from '@nestjs/common';
import type { SecretSealer } from '../crypto/secret-sealer';
import type { SmtpBackupState } from '../interfaces/smtp-connection.interface';
import {
  SmtpSettingsStore,
  type SmtpSettingsHistoryEntry,
} from '../interfaces/smtp-settings-store.interface';
import { UpgradeCenter } from '../interfaces/upgrade-center.interface';
import type { SmtpSettingsModuleOptions } from '../options/smtp-settings-options.interface';
import {
  SMTP_SETTINGS_MAIL_PROVIDERS,
  SMTP_SETTINGS_MODULE_OPTIONS,
  SMTP_SETTINGS_SEALER,
} from '../options/smtp-settings.constants';
import { backupTenantOf } from './backup-tenant';
import { ConnectionSettings } from './connection-settings';
import type { ProviderSettingsList } from './provider-settings.interface';
import { TenantSettings } from './tenant-settings';

/**
 * Every tenant's backup connection, secrets included: internal to the module, as `TenantSettings`
 * is for the main settings, with the same rules, re-entry rule and upgrade gate. A backup is a
 * record of its own in the same store, under a store tenant of its own (`backupTenantOf`): its own
 * version, history and change feed, and its secret sealed bound to that store tenant, so that it
 * never opens as a main connection's (or another tenant's).
 */
@Injectable()
export class BackupSettings extends ConnectionSettings<SmtpBackupState> {
  constructor(
    @Inject(SMTP_SETTINGS_MODULE_OPTIONS) options: SmtpSettingsModuleOptions,
    @Inject(SmtpSettingsStore) store: SmtpSettingsStore,
    @Inject(SMTP_SETTINGS_SEALER) sealer: SecretSealer,
    @Inject(UpgradeCenter) upgrades: UpgradeCenter,
    @Inject(SMTP_SETTINGS_MAIL_PROVIDERS) providers: ProviderSettingsList,
    private readonly tenants: TenantSettings,
  ) {
    super(
      { options, store, sealer, upgrades, providers },
      { name: 'backup connection', connection: 'backup', storeTenantOf: backupTenantOf },
    );
  }

  /** The tenants are the main settings' tenants, `defaultTenant` among them. */
  override tenantOf(tenant: string | undefined): string {
    return this.tenants.tenantOf(tenant);
  }

  /** The state as it is, with no `source`: a tenant without a backup has no failover, not the relay. */
  protected override present(state: SmtpBackupState): SmtpBackupState {
    return state;
  }

  /** The backup's changes, newest first, each with `connection: 'backup'`. */
  override async history(tenant?: string): Promise<SmtpSettingsHistoryEntry[]> {
    const entries = await super.history(tenant);
    return entries.map((entry) => ({ ...entry, connection: 'backup' }));
  }
}
