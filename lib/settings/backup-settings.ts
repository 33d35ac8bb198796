import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { Subject, type Observable } from 'rxjs';
import type { SecretSealer } from '../crypto/secret-sealer';
import { DeliveryUnavailableError } from '../errors/delivery-unavailable.error';
import { SecretUnsealError } from '../errors/secret-unseal.error';
import { messageOf } from '../internal/message-of';
import type { SmtpBackupState } from '../interfaces/smtp-connection.interface';
import type {
  SmtpSettingsChangeEvent,
  SmtpSettingsChangeOptions,
} from '../interfaces/smtp-settings-change.interface';
import {
  SmtpSettingsStore,
  type SmtpSettingsHistoryEntry,
  type SmtpSettingsRecord,
} from '../interfaces/smtp-settings-store.interface';
import type { SmtpSettings } from '../interfaces/smtp-settings.types';
import { UpgradeCenter } from '../interfaces/upgrade-center.interface';
import type { SmtpSettingsModuleOptions } from '../options/smtp-settings-options.interface';
import {
  SMTP_SETTINGS_MODULE_OPTIONS,
  SMTP_SETTINGS_SEALER,
} from '../options/smtp-settings.constants';
import { SMTP_SETTINGS_OPTION_DEFAULTS } from '../options/smtp-settings.defaults';
import { backupScopeOf } from './backup-scope';
import { changedFields } from './settings-diff';
import { toSettingsView } from './settings-view';
import { unsealMessageOf, validateAgainstStored } from './stored-secret';
import { TenantRecords } from './tenant-records';
import { TenantSecrets } from './tenant-secrets';
import { TenantSettings } from './tenant-settings';
import { settingsWarnings } from './validation/smtp-settings.rules';

/**
 * Every tenant's backup connection, secrets included: internal to the module, as `TenantSettings`
 * is for the main settings, with the same rules, re-entry rule and upgrade gate. A backup is a
 * record of its own in the same store, under its own scope (`backupScopeOf`): its own version,
 * history and change feed, and its secret sealed bound to that scope, so that it never opens as a
 * main connection's (or another tenant's). Every method takes the tenant last, `defaultTenant`
 * when left out.
 */
@Injectable()
export class BackupSettings implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('SmtpSettings');
  private readonly changes = new Subject<SmtpSettingsChangeEvent>();
  /** The tenant of each backup scope used here: what a store's change of that scope reloads. */
  private readonly tenantsByScope = new Map<string, string>();
  private readonly records = new TenantRecords({
    load: (tenant) => this.store.get(this.scopeOf(tenant)),
    reload: (tenant) => this.store.get(this.scopeOf(tenant)),
    reloaded: (tenant, record) => this.emit(tenant, record, 'store'),
    reloadFailed: (tenant, error) =>
      this.logger.error(
        `Could not reload the backup connection of tenant ${tenant} after a change: ${messageOf(error)}`,
      ),
  });
  private readonly secrets: TenantSecrets;
  private unwatch?: () => void;

  /** Every change of a tenant's backup connection, made here or by another process. */
  readonly changes$: Observable<SmtpSettingsChangeEvent> = this.changes.asObservable();

  constructor(
    @Inject(SMTP_SETTINGS_MODULE_OPTIONS) private readonly options: SmtpSettingsModuleOptions,
    @Inject(SmtpSettingsStore) private readonly store: SmtpSettingsStore,
    @Inject(SMTP_SETTINGS_SEALER) sealer: SecretSealer,
    @Inject(UpgradeCenter) private readonly upgrades: UpgradeCenter,
    private readonly tenants: TenantSettings,
  ) {
    this.secrets = new TenantSecrets(sealer);
  }

  onModuleInit(): void {
    this.unwatch = this.store.watch?.((scope, version) => {
      const tenant = this.tenantsByScope.get(scope);
      if (tenant !== undefined) this.records.follow(tenant, version);
    });
  }

  onApplicationShutdown(): void {
    this.unwatch?.();
    this.changes.complete();
  }

  /** A tenant's backup connection as an admin may see it: no secret, masked or not. */
  async get(tenant?: string): Promise<SmtpBackupState> {
    const id = this.tenants.tenantOf(tenant);
    const record = await this.records.get(id);
    const settings = record?.settings ?? null;
    const problem = this.problemOf(id, record);
    return {
      version: record?.version ?? 0,
      updatedAt: record?.updatedAt ?? null,
      updatedBy: record?.updatedBy ?? null,
      settings: settings ? toSettingsView(settings, problem === null) : null,
      warnings: settings ? [...settingsWarnings(settings), ...(problem ? [problem] : [])] : [],
    };
  }

  /**
   * A tenant's backup settings with their secret in plaintext, for the transport and the verifier
   * only; `settings: null` when none is saved. Throws `DeliveryUnavailableError`
   * ('secret-unavailable') when the stored secret cannot be opened.
   */
  async getWithSecrets(
    tenant?: string,
  ): Promise<{ version: number; settings: SmtpSettings | null }> {
    const id = this.tenants.tenantOf(tenant);
    const record = await this.records.get(id);
    const result = record && this.secrets.openRecord(this.scopeOf(id), record);
    if (result instanceof SecretUnsealError) {
      throw new DeliveryUnavailableError('secret-unavailable', unsealMessageOf(result));
    }
    return { version: record?.version ?? 0, settings: result };
  }

  /** Why the saved backup cannot send (its secret cannot be opened); `null` when it can, or none is saved. */
  async secretProblem(tenant?: string): Promise<string | null> {
    const id = this.tenants.tenantOf(tenant);
    return this.problemOf(id, await this.records.get(id));
  }

  /** Validates an unsaved backup body (for verify): the same rules and re-entry rule as `update`. */
  async validate(input: unknown, tenant?: string): Promise<SmtpSettings> {
    const id = this.tenants.tenantOf(tenant);
    const stored = (await this.records.get(id))?.settings ?? null;
    const parts = { secrets: this.secrets, upgrades: this.upgrades };
    return (await validateAgainstStored(parts, this.whereOf(id), input, stored)).settings;
  }

  /** Validates and saves a tenant's backup connection, as `TenantSettings.update` saves the main one. */
  async update(input: unknown, options: SmtpSettingsChangeOptions = {}): Promise<SmtpBackupState> {
    const id = this.tenants.tenantOf(options.tenant);
    const before = (await this.records.get(id))?.settings ?? null;
    const parts = { secrets: this.secrets, upgrades: this.upgrades };
    const where = this.whereOf(id);
    const { settings, secretEntered } = await validateAgainstStored(parts, where, input, before);
    const record = await this.store.put(
      where.scope,
      this.secrets.seal(where.scope, settings),
      this.changeOf(options, changedFields(before, settings, secretEntered)),
      options.expectedVersion,
    );
    this.accept(id, record);
    return this.get(id);
  }

  /** Removes a tenant's backup connection: direct sends then have no failover. */
  async reset(options: SmtpSettingsChangeOptions = {}): Promise<SmtpBackupState> {
    const id = this.tenants.tenantOf(options.tenant);
    const before = (await this.records.get(id))?.settings ?? null;
    const record = await this.store.delete(
      this.scopeOf(id),
      this.changeOf(options, changedFields(before, null)),
      options.expectedVersion,
    );
    this.accept(id, record);
    return this.get(id);
  }

  /** The backup's changes, newest first, each with `connection: 'backup'`. */
  async history(tenant?: string): Promise<SmtpSettingsHistoryEntry[]> {
    const id = this.tenants.tenantOf(tenant);
    const entries = await this.store.history(
      this.scopeOf(id),
      this.options.historyLimit ?? SMTP_SETTINGS_OPTION_DEFAULTS.historyLimit,
    );
    return entries.map((entry) => ({ ...entry, connection: 'backup' }));
  }

  private scopeOf(tenant: string): string {
    const scope = backupScopeOf(tenant);
    this.tenantsByScope.set(scope, tenant);
    return scope;
  }

  private whereOf(tenant: string): { tenant: string; scope: string } {
    return { tenant, scope: this.scopeOf(tenant) };
  }

  private changeOf(options: SmtpSettingsChangeOptions, changed: string[]) {
    return {
      at: new Date().toISOString(),
      by: options.actor ?? null,
      changed,
      historyLimit: this.options.historyLimit,
    };
  }

  private problemOf(tenant: string, record: SmtpSettingsRecord | null): string | null {
    const result = record && this.secrets.openRecord(this.scopeOf(tenant), record);
    return result instanceof SecretUnsealError ? unsealMessageOf(result) : null;
  }

  private accept(tenant: string, record: SmtpSettingsRecord): void {
    if (this.records.accept(tenant, record)) this.emit(tenant, record, 'local');
  }

  private emit(tenant: string, record: SmtpSettingsRecord, origin: 'local' | 'store'): void {
    this.changes.next({
      tenant,
      version: record.version,
      source: record.settings ? 'custom' : 'relay',
      origin,
    });
  }
}
