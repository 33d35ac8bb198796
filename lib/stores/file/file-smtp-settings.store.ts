import { Logger } from '@nestjs/common';
import type { LoggerService } from '@nestjs/common';
import { resolve } from 'node:path';
import { SMTP_SETTINGS_OPTION_DEFAULTS } from '../../options/smtp-settings.defaults';
import { messageOf } from '../../internal/message-of';
import { nextVersion } from '../next-version';
import { ScopeListeners } from '../scope-listeners';
import type { SealedSmtpSettings } from '../../interfaces/smtp-settings.types';
import type {
  SmtpSettingsAction,
  SmtpSettingsChange,
  SmtpSettingsHistoryEntry,
  SmtpSettingsRecord,
  SmtpSettingsStore,
} from '../../interfaces/smtp-settings-store.interface';
import { FileLock } from './file-lock';
import { watchFile } from './file-watch';
import { toRecord } from './settings-file.format';
import type { Scopes } from './settings-file.format';
import { readSettingsFile, removeLeftovers, writeSettingsFile } from './settings-file';

export interface FileSmtpSettingsStoreOptions {
  /** The JSON data file. Its directory is created with mode 0700 when missing. */
  path: string;
  /**
   * How many history entries to keep per scope, unless a change gives its own limit.
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
 * The embedded default store: one JSON file, replaced atomically on every change, with a lock file so
 * that several processes on one machine can share it. A file it cannot read is never overwritten.
 */
export class FileSmtpSettingsStore implements SmtpSettingsStore {
  readonly path: string;
  private readonly historyLimit: number;
  private readonly logger: LoggerService;
  private readonly lock: FileLock;
  private readonly listeners: ScopeListeners;
  /** The version each watched scope was last reported at. */
  private readonly seen = new Map<string, number>();
  private queue: Promise<unknown> = Promise.resolve();
  private unwatchFile?: () => void;
  private checking: Promise<void> = Promise.resolve();

  constructor(options: FileSmtpSettingsStoreOptions) {
    this.path = resolve(options.path);
    this.historyLimit = options.historyLimit ?? SMTP_SETTINGS_OPTION_DEFAULTS.historyLimit;
    this.logger = options.logger ?? new Logger(FileSmtpSettingsStore.name);
    this.lock = new FileLock(this.path, () => removeLeftovers(this.path));
    this.listeners = new ScopeListeners((error) =>
      this.logger.error(`A settings listener failed: ${messageOf(error)}`),
    );
  }

  async get(scope: string): Promise<SmtpSettingsRecord | null> {
    const stored = (await readSettingsFile(this.path)).get(scope);
    return stored ? toRecord(stored) : null;
  }

  put(
    scope: string,
    settings: SealedSmtpSettings,
    change: SmtpSettingsChange,
    expectedVersion?: number,
  ): Promise<SmtpSettingsRecord> {
    return this.change(scope, 'update', settings, change, expectedVersion);
  }

  delete(
    scope: string,
    change: SmtpSettingsChange,
    expectedVersion?: number,
  ): Promise<SmtpSettingsRecord> {
    return this.change(scope, 'reset', null, change, expectedVersion);
  }

  async history(scope: string, limit?: number): Promise<SmtpSettingsHistoryEntry[]> {
    const history = (await readSettingsFile(this.path)).get(scope)?.history ?? [];
    return limit === undefined ? history : history.slice(0, Math.max(0, limit));
  }

  /** Reports the changes of other processes (and its own), read again from the file. */
  watch(scope: string, listener: (version: number) => void): () => void {
    const remove = this.listeners.add(scope, listener);
    this.startWatching();
    return () => {
      remove();
      if (!this.listeners.has(scope)) this.seen.delete(scope);
      if (this.listeners.size === 0) this.stopWatching();
    };
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.stopWatching();
    await Promise.all([this.checking, this.queue]);
  }

  private change(
    scope: string,
    action: SmtpSettingsAction,
    settings: SealedSmtpSettings | null,
    change: SmtpSettingsChange,
    expectedVersion: number | undefined,
  ): Promise<SmtpSettingsRecord> {
    return this.serialize(() =>
      this.lock.run(async () => {
        // Read under the lock: the version check and the write must see the same file.
        const scopes = await readSettingsFile(this.path);
        const { record, history } = nextVersion(
          scope,
          action,
          settings,
          change,
          scopes.get(scope),
          expectedVersion,
          change.historyLimit ?? this.historyLimit,
        );
        scopes.set(scope, { ...record, history });
        await writeSettingsFile(this.path, scopes);
        return structuredClone(record);
      }),
    );
  }

  /** One change at a time within the process; the lock file orders processes. */
  private serialize<T>(task: () => Promise<T>): Promise<T> {
    const result = this.queue.then(task);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private startWatching(): void {
    if (this.unwatchFile) return;
    this.unwatchFile = watchFile(
      this.path,
      () => (this.checking = this.checking.then(() => this.check())),
      (error) => {
        this.logger.error(`Stopped following changes to ${this.path}: ${messageOf(error)}`);
        this.stopWatching();
      },
    );
  }

  private stopWatching(): void {
    this.unwatchFile?.();
    this.unwatchFile = undefined;
  }

  private async check(): Promise<void> {
    if (this.listeners.size === 0) return;
    let scopes: Scopes;
    try {
      scopes = await readSettingsFile(this.path);
    } catch (error) {
      this.logger.error(`Could not follow a change to the settings: ${messageOf(error)}`);
      return;
    }
    for (const scope of this.listeners.scopes()) {
      const version = scopes.get(scope)?.version ?? 0;
      if (this.seen.get(scope) === version) continue;
      this.seen.set(scope, version);
      this.listeners.emit(scope, version);
    }
  }
}
