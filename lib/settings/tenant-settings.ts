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
import type { SmtpSettingsModuleOptions } from '../options/smtp-settings-options.interface';
import {
  SMTP_SETTINGS_MODULE_OPTIONS,
  SMTP_SETTINGS_SEALER,
} from '../options/smtp-settings.constants';
import { SMTP_SETTINGS_OPTION_DEFAULTS } from '../options/smtp-settings.defaults';
import {
  SmtpSettingsStore,
  type SmtpSettingsHistoryEntry,
  type SmtpSettingsRecord,
} from '../interfaces/smtp-settings-store.interface';
import { UpgradeCenter } from '../interfaces/upgrade-center.interface';
import { migrateLegacySecret } from './legacy-secret-migration';
import { changedFields } from './settings-diff';
import { toSettingsView } from './settings-view';
import type {
  SmtpSettingsChangeEvent,
  SmtpSettingsChangeOptions,
} from '../interfaces/smtp-settings-change.interface';
import { settingsWarnings } from './validation/smtp-settings.rules';
import type {
  SealedSmtpSettings,
  SmtpSettings,
  SmtpSettingsState,
} from '../interfaces/smtp-settings.types';
import { assertServedTenantId } from './backup-scope';
import { unsealMessageOf, validateAgainstStored } from './stored-secret';
import { TenantRecords } from './tenant-records';
import { TenantSecrets } from './tenant-secrets';

/**
 * The settings of every tenant, secrets included: internal to the module, never exported by it.
 * `SmtpSettingsService` shows them to the app without secrets; only the module's own transport and
 * verifier open them here (`getWithSecrets`, `validate`).
 *
 * A tenant's record is read from the store on its first use and then served from memory; one
 * subscription to the store's change feed reloads only the tenant that another process changed.
 * Every method takes the tenant last, `defaultTenant` when left out.
 */
@Injectable()
export class TenantSettings implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('SmtpSettings');
  private readonly changes = new Subject<SmtpSettingsChangeEvent>();
  /** The tenant of every call that names none: the `defaultTenant` option, validated. */
  readonly defaultTenant: string;
  private readonly records = new TenantRecords({
    load: (tenant) => this.load(tenant),
    reload: (tenant) => this.store.get(tenant),
    reloaded: (tenant, record) => this.emit(tenant, record, 'store'),
    reloadFailed: (tenant, error) =>
      this.logger.error(
        `Could not reload the SMTP settings of tenant ${tenant} after a change: ${messageOf(error)}`,
      ),
  });
  private readonly secrets: TenantSecrets;
  private unwatch?: () => void;

  /** Every change of every tenant, made here or by another process. The live transport follows it. */
  readonly changes$: Observable<SmtpSettingsChangeEvent> = this.changes.asObservable();

  constructor(
    @Inject(SMTP_SETTINGS_MODULE_OPTIONS) private readonly options: SmtpSettingsModuleOptions,
    @Inject(SmtpSettingsStore) private readonly store: SmtpSettingsStore,
    @Inject(SMTP_SETTINGS_SEALER) sealer: SecretSealer,
    @Inject(UpgradeCenter) private readonly upgrades: UpgradeCenter,
  ) {
    this.defaultTenant = assertServedTenantId(
      options.defaultTenant ?? SMTP_SETTINGS_OPTION_DEFAULTS.defaultTenant,
      'The defaultTenant option',
    );
    this.secrets = new TenantSecrets(sealer);
  }

  /**
   * Follows the store, and reads the default tenant, so that a store that cannot be read stops the
   * start; other tenants are read on first use.
   */
  async onModuleInit(): Promise<void> {
    this.unwatch = this.store.watch?.((scope, version) => this.records.follow(scope, version));
    await this.records.get(this.defaultTenant);
  }

  async onApplicationShutdown(): Promise<void> {
    this.unwatch?.();
    this.changes.complete();
    await this.store.close?.();
  }

  /** A tenant's settings as an admin may see them: no secret, masked or not. */
  async get(tenant?: string): Promise<SmtpSettingsState> {
    const id = this.tenantOf(tenant);
    const record = await this.records.get(id);
    const settings = record?.settings ?? null;
    const problem = this.problemOf(id, record);
    return {
      source: settings ? 'custom' : 'relay',
      version: record?.version ?? 0,
      updatedAt: record?.updatedAt ?? null,
      updatedBy: record?.updatedBy ?? null,
      settings: settings ? toSettingsView(settings, problem === null) : null,
      warnings: settings ? [...settingsWarnings(settings), ...(problem ? [problem] : [])] : [],
    };
  }

  /**
   * A tenant's settings with their secrets in plaintext, for the transport only; everything else
   * reads `get()`. `null` means the relay.
   * Throws `DeliveryUnavailableError` ('secret-unavailable') when the stored secret cannot be
   * opened: it is never sent anywhere, and nothing else is sent in its place.
   */
  async getWithSecrets(
    tenant?: string,
  ): Promise<{ version: number; settings: SmtpSettings | null }> {
    const id = this.tenantOf(tenant);
    const record = await this.records.get(id);
    const result = record && this.secrets.openRecord(id, record);
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

  /**
   * Validates settings that are not saved (for verify): the same rules and re-entry rule as `update`.
   */
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
  async update(
    input: unknown,
    options: SmtpSettingsChangeOptions = {},
  ): Promise<SmtpSettingsState> {
    const id = this.tenantOf(options.tenant);
    const before = (await this.records.get(id))?.settings ?? null;
    const { settings, secretEntered } = await this.validateAgainst(id, input, before);
    const record = await this.store.put(
      id,
      this.secrets.seal(id, settings),
      this.changeOf(options, changedFields(before, settings, secretEntered)),
      options.expectedVersion,
    );
    this.accept(id, record, 'local');
    return this.get(id);
  }

  /** Back to the vendor relay. */
  async reset(options: SmtpSettingsChangeOptions = {}): Promise<SmtpSettingsState> {
    const id = this.tenantOf(options.tenant);
    const before = (await this.records.get(id))?.settings ?? null;
    const record = await this.store.delete(
      id,
      this.changeOf(options, changedFields(before, null)),
      options.expectedVersion,
    );
    this.accept(id, record, 'local');
    return this.get(id);
  }

  /** How many history entries each connection keeps. */
  get historyLimit(): number {
    return this.options.historyLimit ?? SMTP_SETTINGS_OPTION_DEFAULTS.historyLimit;
  }

  /** A tenant's changes, newest first: who changed which fields, never their values. */
  async history(tenant?: string): Promise<SmtpSettingsHistoryEntry[]> {
    const id = this.tenantOf(tenant);
    return this.store.history(id, this.historyLimit);
  }

  /**
   * Checked before anything reaches a store, a log line or a sealed secret's binding: a tenant id,
   * and never a backup connection's scope; `defaultTenant` when left out.
   */
  tenantOf(tenant: string | undefined): string {
    return tenant === undefined ? this.defaultTenant : assertServedTenantId(tenant, 'The tenant');
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
    const result = record && this.secrets.openRecord(tenant, record);
    return result instanceof SecretUnsealError ? unsealMessageOf(result) : null;
  }

  private validateAgainst(tenant: string, input: unknown, stored: SealedSmtpSettings | null) {
    const parts = { secrets: this.secrets, upgrades: this.upgrades };
    return validateAgainstStored(parts, { tenant, scope: tenant }, input, stored);
  }

  /** A tenant's first use: its record, with a secret that 0.1.0 sealed resealed. */
  private async load(tenant: string): Promise<SmtpSettingsRecord | null> {
    let record = await this.store.get(tenant);
    const unwritten = await migrateLegacySecret({
      scope: tenant,
      store: this.store,
      logger: this.logger,
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

  private accept(
    tenant: string,
    record: SmtpSettingsRecord,
    origin: SmtpSettingsChangeEvent['origin'],
  ): void {
    if (this.records.accept(tenant, record)) this.emit(tenant, record, origin);
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
