import { Logger } from '@nestjs/common';
import type { LoggerService } from '@nestjs/common';
import { join, resolve } from 'node:path';
import { SMTP_SETTINGS_OPTION_DEFAULTS } from '../../options/smtp-settings.defaults';
import { messageOf } from '../../internal/message-of';
import { nextVersion } from '../next-version';
import { TenantListeners } from '../tenant-listeners';
import type { SealedSmtpSettings } from '../../interfaces/smtp-settings.types';
import type {
  SmtpSettingsAction,
  SmtpSettingsChange,
  SmtpSettingsHistoryEntry,
  SmtpSettingsRecord,
  SmtpSettingsStore,
} from '../../interfaces/smtp-settings-store.interface';
import { watchDirectory } from './dir-watch';
import { FileLock } from './file-lock';
import { migrateLegacyFile } from './legacy-file';
import { toRecord } from './stored-tenant.format';
import {
  findSealedSecrets,
  readTenantFile,
  removeWriteLeftovers,
  tenantOfFileName,
  tenantDirFor,
  tenantFileName,
  writeTenantFile,
} from './tenant-files';

export interface FileSmtpSettingsStoreOptions {
  /**
   * Where the store lives, named by its data file: the tenant files go in the directory of that
   * name without `.json` (`.data/smtp-settings.json` → `.data/smtp-settings/`, mode 0700), the key
   * file beside it (`.data/smtp-settings.key`). A data file that 0.1.0 wrote there (all tenants in
   * one document) is split into tenant files on first use, and kept as `<path>.migrated`.
   */
  path: string;
  /**
   * How many history entries to keep per tenant, unless a change gives its own limit.
   * @default 100
   */
  historyLimit?: number;
  /**
   * Receives errors while following changes.
   * @default a Nest `Logger`
   */
  logger?: LoggerService;
}

/**
 * The embedded default store: one JSON file per tenant (its record and history), replaced
 * atomically on every change of that tenant only, with a lock file per tenant so that several
 * processes on one machine can share the directory. A file is read when its tenant is asked for,
 * never all at start-up. A file it cannot read is never overwritten.
 */
export class FileSmtpSettingsStore implements SmtpSettingsStore {
  /** The data file that names the store (see the `path` option). */
  readonly path: string;
  /** The directory of the tenant files. */
  readonly dir: string;
  private readonly historyLimit: number;
  private readonly logger: LoggerService;
  private readonly listeners: TenantListeners;
  /** The version each changed tenant was last reported at. */
  private readonly seen = new Map<string, number>();
  /** The tail of each tenant's changes in this process; a tenant with none queued has no entry. */
  private readonly queues = new Map<string, Promise<unknown>>();
  private migrated?: Promise<void>;
  private unwatch?: () => void;
  private checking: Promise<void> = Promise.resolve();

  constructor(options: FileSmtpSettingsStoreOptions) {
    this.path = resolve(options.path);
    this.dir = tenantDirFor(this.path);
    this.historyLimit = options.historyLimit ?? SMTP_SETTINGS_OPTION_DEFAULTS.historyLimit;
    this.logger = options.logger ?? new Logger(FileSmtpSettingsStore.name);
    this.listeners = new TenantListeners((error) =>
      this.logger.error(`A settings listener failed: ${messageOf(error)}`),
    );
  }

  /** The file that holds the tenant's record and history (it may not exist yet). */
  fileOf(tenant: string): string {
    return join(this.dir, tenantFileName(tenant));
  }

  async get(tenant: string): Promise<SmtpSettingsRecord | null> {
    const stored = await this.read(tenant);
    return stored ? toRecord(stored) : null;
  }

  put(
    tenant: string,
    settings: SealedSmtpSettings,
    change: SmtpSettingsChange,
    expectedVersion?: number,
  ): Promise<SmtpSettingsRecord> {
    return this.change(tenant, 'update', settings, change, expectedVersion);
  }

  delete(
    tenant: string,
    change: SmtpSettingsChange,
    expectedVersion?: number,
  ): Promise<SmtpSettingsRecord> {
    return this.change(tenant, 'reset', null, change, expectedVersion);
  }

  async history(tenant: string, limit?: number): Promise<SmtpSettingsHistoryEntry[]> {
    const history = (await this.read(tenant))?.history ?? [];
    return limit === undefined ? history : history.slice(0, Math.max(0, limit));
  }

  /**
   * Reports the changes of every tenant, by other processes (and its own): one watch of the
   * directory, and only a changed tenant's file is read again.
   */
  watch(listener: (tenant: string, version: number) => void): () => void {
    const remove = this.listeners.add(listener);
    this.startWatching();
    return () => {
      remove();
      if (this.listeners.size === 0) {
        this.seen.clear();
        this.stopWatching();
      }
    };
  }

  /**
   * The first tenant file that holds a sealed secret, or undefined: a new key could never open
   * it. Reads every tenant file, so only a start without a key file asks.
   */
  async findSealedSecrets(): Promise<string | undefined> {
    await this.ready();
    return findSealedSecrets(this.dir);
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.stopWatching();
    await Promise.all([this.checking, ...this.queues.values()]);
  }

  private async read(tenant: string) {
    const file = this.fileOf(tenant);
    await this.ready();
    return readTenantFile(file, tenant);
  }

  /** The data file of 0.1.0 migrated, once per instance; a failure is tried again next time. */
  private ready(): Promise<void> {
    this.migrated ??= migrateLegacyFile(this.path, this.dir).catch((error: unknown) => {
      this.migrated = undefined;
      throw error;
    });
    return this.migrated;
  }

  private async change(
    tenant: string,
    action: SmtpSettingsAction,
    settings: SealedSmtpSettings | null,
    change: SmtpSettingsChange,
    expectedVersion: number | undefined,
  ): Promise<SmtpSettingsRecord> {
    const file = this.fileOf(tenant);
    return this.serialize(tenant, async () => {
      await this.ready();
      return new FileLock(file, () => removeWriteLeftovers(file)).run(async () => {
        // Read under the lock: the version check and the write must see the same file.
        const { record, history } = nextVersion(
          tenant,
          action,
          settings,
          change,
          await readTenantFile(file, tenant),
          expectedVersion,
          change.historyLimit ?? this.historyLimit,
        );
        await writeTenantFile(file, { ...record, history });
        return structuredClone(record);
      });
    });
  }

  /**
   * One change of a tenant at a time within the process (the lock file orders processes); other
   * tenants' changes never wait for it.
   */
  private serialize<T>(tenant: string, task: () => Promise<T>): Promise<T> {
    const result = (this.queues.get(tenant) ?? Promise.resolve()).then(task);
    const tail = result.catch(() => undefined);
    this.queues.set(tenant, tail);
    void tail.then(() => {
      if (this.queues.get(tenant) === tail) this.queues.delete(tenant);
    });
    return result;
  }

  private startWatching(): void {
    if (this.unwatch) return;
    this.unwatch = watchDirectory(
      this.dir,
      (names) => (this.checking = this.checking.then(() => this.check(names))),
      (error) => {
        this.logger.error(`Stopped following changes to ${this.dir}: ${messageOf(error)}`);
        this.stopWatching();
      },
    );
  }

  private stopWatching(): void {
    this.unwatch?.();
    this.unwatch = undefined;
  }

  /** Reads the changed tenants' files; without names (rare platforms), those reported before. */
  private async check(names: Set<string> | null): Promise<void> {
    const tenants = names
      ? [...names].map(tenantOfFileName).filter((tenant) => tenant !== undefined)
      : [...this.seen.keys()];
    for (const tenant of new Set(tenants)) {
      if (this.listeners.size === 0) return;
      let version: number;
      try {
        version = (await readTenantFile(this.fileOf(tenant), tenant))?.version ?? 0;
      } catch (error) {
        this.logger.error(`Could not follow a change to the settings: ${messageOf(error)}`);
        continue;
      }
      if (this.seen.get(tenant) === version) continue;
      this.seen.set(tenant, version);
      this.listeners.emit(tenant, version);
    }
  }
}
