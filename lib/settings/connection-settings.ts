import { Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
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
import type {
  SmtpSettingsHistoryEntry,
  SmtpSettingsRecord,
  SmtpSettingsStore,
} from '../interfaces/smtp-settings-store.interface';
import type { SealedSmtpSettings, SmtpSettings } from '../interfaces/smtp-settings.types';
import type { UpgradeCenter } from '../interfaces/upgrade-center.interface';
import type { SmtpSettingsModuleOptions } from '../options/smtp-settings-options.interface';
import { SMTP_SETTINGS_OPTION_DEFAULTS } from '../options/smtp-settings.defaults';
import { changedFields } from './settings-diff';
import { toSettingsView } from './settings-view';
import { unsealMessageOf, validateAgainstStored } from './stored-secret';
import { TenantRecords } from './tenant-records';
import { TenantSecrets } from './tenant-secrets';
import type { ProviderSettingsList } from './provider-settings.interface';
import { settingsWarnings } from './validation/smtp-settings.rules';
import { smtpTelemetry } from '../telemetry/smtp-telemetry';
import type { SmtpConnectionName } from '../interfaces/smtp-connection.interface';

/** The module's parts that every connection's settings use. */
export interface ConnectionSettingsParts {
  options: SmtpSettingsModuleOptions;
  store: SmtpSettingsStore;
  sealer: SecretSealer;
  upgrades: UpgradeCenter;
  /** What each provider's settings need: their secret field, destination, view and rules. */
  providers: ProviderSettingsList;
}

/** What tells one connection of a tenant from the other. */
export interface ConnectionKind {
  /** What the log lines call it: `SMTP settings`, `backup connection`. */
  name: string;
  /** Which connection it is, as telemetry counts its changes. */
  connection: SmtpConnectionName;
  /** Where a served tenant's record of this connection lives in the store, and its secret's binding. */
  storeTenantOf(tenant: string): string;
}

/**
 * One connection (the main settings or the backup) of every tenant, secrets included: internal to
 * the module. A tenant's record lives in the store under the connection's store tenant, is read on
 * its first use and then served from memory; one subscription to the store's change feed reloads
 * only the tenant that another process changed. Its secret is sealed bound to the store tenant, so
 * that a record never opens as another connection's or another tenant's. Every method takes the
 * tenant last, `defaultTenant` when left out (`tenantOf`).
 *
 * `TenantSettings` and `BackupSettings` are its two kinds: they differ in the state they show, in
 * what their first read does, and in their history's entries.
 */
export abstract class ConnectionSettings<State extends SmtpBackupState>
  implements OnModuleInit, OnApplicationShutdown
{
  protected readonly logger = new Logger('SmtpSettings');
  protected readonly store: SmtpSettingsStore;
  protected readonly secrets: TenantSecrets;
  private readonly changes = new Subject<SmtpSettingsChangeEvent>();
  /** The served tenant of each store tenant used here: whom a change of it reloads. */
  private readonly tenantsByStoreTenant = new Map<string, string>();
  protected readonly records = new TenantRecords({
    load: (tenant) => this.load(tenant),
    reload: (tenant) => this.store.get(this.storeTenantOf(tenant)),
    reloaded: (tenant, record) => this.emit(tenant, record, 'store'),
    reloadFailed: (tenant, error) =>
      this.logger.error(
        `Could not reload the ${this.kind.name} of tenant ${tenant} after a change: ${messageOf(error)}`,
      ),
  });
  private unwatch?: () => void;

  /** Every change of this connection of every tenant, made here or by another process. */
  readonly changes$: Observable<SmtpSettingsChangeEvent> = this.changes.asObservable();

  protected constructor(
    private readonly parts: ConnectionSettingsParts,
    private readonly kind: ConnectionKind,
  ) {
    this.store = parts.store;
    this.secrets = new TenantSecrets(parts.sealer, parts.providers);
  }

  /**
   * Checked before anything reaches a store, a log line or a sealed secret's binding: a tenant id,
   * and never a backup connection's store tenant; `defaultTenant` when left out.
   */
  abstract tenantOf(tenant: string | undefined): string;

  /** The state an admin sees, made of what every connection shows. */
  protected abstract present(state: SmtpBackupState): State;

  onModuleInit(): void | Promise<void> {
    this.unwatch = this.store.watch?.((storeTenant, version) => {
      const tenant = this.tenantsByStoreTenant.get(storeTenant);
      if (tenant !== undefined) this.records.follow(tenant, version);
    });
  }

  onApplicationShutdown(): void | Promise<void> {
    this.unwatch?.();
    this.changes.complete();
  }

  /** A tenant's connection as an admin may see it: no secret, masked or not. */
  async get(tenant?: string): Promise<State> {
    const id = this.tenantOf(tenant);
    const record = await this.records.get(id);
    const settings = record?.settings ?? null;
    const problem = this.problemOf(id, record);
    return this.present({
      version: record?.version ?? 0,
      updatedAt: record?.updatedAt ?? null,
      updatedBy: record?.updatedBy ?? null,
      settings: settings
        ? toSettingsView(settings, this.secrets.providers, problem === null)
        : null,
      warnings: settings
        ? [...settingsWarnings(settings, this.secrets.providers), ...(problem ? [problem] : [])]
        : [],
    });
  }

  /**
   * Whether the tenant has settings saved, as `get(tenant)` tells by its `settings`, without opening
   * the secret or making the admin's view: the transport asks this for every message.
   */
  has(tenant?: string): boolean | Promise<boolean> {
    const id = this.tenantOf(tenant);
    // Read already (nearly always): answered now, with no promise.
    const known = this.records.peek(id);
    if (known !== undefined) return !!known?.settings;
    return this.records.get(id).then((record) => !!record?.settings);
  }

  /**
   * A tenant's settings with their secret in plaintext, for the transport and the verifier only;
   * everything else reads `get()`. `settings: null` when none are saved.
   * Throws `DeliveryUnavailableError` ('secret-unavailable') when the stored secret cannot be
   * opened: it is never sent anywhere, and nothing else is sent in its place.
   */
  async getWithSecrets(
    tenant?: string,
  ): Promise<{ version: number; settings: SmtpSettings | null }> {
    const id = this.tenantOf(tenant);
    const record = await this.records.get(id);
    const result = record && this.secrets.openRecord(this.storeTenantOf(id), record);
    if (result instanceof SecretUnsealError) {
      throw new DeliveryUnavailableError('secret-unavailable', unsealMessageOf(result));
    }
    return { version: record?.version ?? 0, settings: result };
  }

  /**
   * Why a tenant's saved settings cannot send, in the admin's words, when their stored secret
   * cannot be opened (the wrong key, an altered record, or one copied from another tenant); `null`
   * when it can, or nothing is saved.
   */
  async secretProblem(tenant?: string): Promise<string | null> {
    const id = this.tenantOf(tenant);
    return this.problemOf(id, await this.records.get(id));
  }

  /** Validates settings that are not saved (for verify): the same rules and re-entry rule as `update`. */
  async validate(input: unknown, tenant?: string): Promise<SmtpSettings> {
    const id = this.tenantOf(tenant);
    const stored = (await this.records.get(id))?.settings ?? null;
    return (await this.validateAgainst(id, input, stored)).settings;
  }

  /**
   * Validates and saves a tenant's new settings. `input` is untrusted: it is checked field by field,
   * and an omitted secret reuses the stored one only under the re-entry rule. With
   * `expectedVersion`, a stale version throws `SettingsVersionConflictError` and nothing is written.
   */
  async update(input: unknown, options: SmtpSettingsChangeOptions = {}): Promise<State> {
    const id = this.tenantOf(options.tenant);
    const before = (await this.records.get(id))?.settings ?? null;
    const { settings, secretEntered } = await this.validateAgainst(id, input, before);
    const storeTenant = this.storeTenantOf(id);
    const record = await this.store.put(
      storeTenant,
      this.secrets.seal(storeTenant, settings),
      this.changeOf(options, changedFields(before, settings, secretEntered)),
      options.expectedVersion,
    );
    this.accept(id, record);
    smtpTelemetry(this.parts.options).settingsChanged(this.kind.connection, id);
    return this.get(id);
  }

  /** Removes a tenant's settings of this connection, with a history entry. */
  async reset(options: SmtpSettingsChangeOptions = {}): Promise<State> {
    const id = this.tenantOf(options.tenant);
    const before = (await this.records.get(id))?.settings ?? null;
    const record = await this.store.delete(
      this.storeTenantOf(id),
      this.changeOf(options, changedFields(before, null)),
      options.expectedVersion,
    );
    this.accept(id, record);
    smtpTelemetry(this.parts.options).settingsChanged(this.kind.connection, id);
    return this.get(id);
  }

  /** How many history entries each connection keeps. */
  get historyLimit(): number {
    return this.parts.options.historyLimit ?? SMTP_SETTINGS_OPTION_DEFAULTS.historyLimit;
  }

  /** A tenant's changes, newest first: who changed which fields, never their values. */
  async history(tenant?: string): Promise<SmtpSettingsHistoryEntry[]> {
    return this.store.history(this.storeTenantOf(this.tenantOf(tenant)), this.historyLimit);
  }

  /** A tenant's first use: its record. */
  protected load(tenant: string): Promise<SmtpSettingsRecord | null> {
    return this.store.get(this.storeTenantOf(tenant));
  }

  /** The store tenant of a served tenant, kept for `watch`. */
  protected storeTenantOf(tenant: string): string {
    const storeTenant = this.kind.storeTenantOf(tenant);
    this.tenantsByStoreTenant.set(storeTenant, tenant);
    return storeTenant;
  }

  protected emit(tenant: string, record: SmtpSettingsRecord, origin: 'local' | 'store'): void {
    this.changes.next({
      tenant,
      version: record.version,
      source: record.settings ? 'custom' : 'relay',
      origin,
    });
  }

  private changeOf(options: SmtpSettingsChangeOptions, changed: string[]) {
    return {
      at: new Date().toISOString(),
      by: options.actor ?? null,
      changed,
      historyLimit: this.parts.options.historyLimit,
    };
  }

  private problemOf(tenant: string, record: SmtpSettingsRecord | null): string | null {
    const result = record && this.secrets.openRecord(this.storeTenantOf(tenant), record);
    return result instanceof SecretUnsealError ? unsealMessageOf(result) : null;
  }

  private validateAgainst(tenant: string, input: unknown, stored: SealedSmtpSettings | null) {
    const parts = { secrets: this.secrets, upgrades: this.parts.upgrades };
    return validateAgainstStored(
      parts,
      { tenant, storeTenant: this.storeTenantOf(tenant) },
      input,
      stored,
    );
  }

  /** A record written here: taken when it is newer than the one in memory, and told. */
  private accept(tenant: string, record: SmtpSettingsRecord): void {
    if (this.records.accept(tenant, record)) this.emit(tenant, record, 'local');
  }
}
