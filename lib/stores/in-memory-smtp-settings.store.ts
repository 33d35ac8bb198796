import { randomBytes } from 'node:crypto';
import { nextVersion } from './next-version';
import type { SealedSmtpSettings } from '../interfaces/smtp-settings.types';
import type {
  SmtpSettingsAction,
  SmtpSettingsChange,
  SmtpSettingsHistoryEntry,
  SmtpSettingsRecord,
  SmtpSettingsStore,
} from '../interfaces/smtp-settings-store.interface';

export interface InMemorySmtpSettingsStoreOptions {
  /**
   * How many history entries to keep per scope.
   * @default 100
   */
  historyLimit?: number;
}

interface ScopeState {
  record: SmtpSettingsRecord;
  history: SmtpSettingsHistoryEntry[];
}

/** Keeps settings in memory: for tests and experiments, since everything is lost on restart. */
export class InMemorySmtpSettingsStore implements SmtpSettingsStore {
  private readonly scopes = new Map<string, ScopeState>();
  private readonly listeners = new Map<string, Set<(version: number) => void>>();
  private readonly historyLimit: number;
  private key?: Buffer;

  constructor(options: InMemorySmtpSettingsStoreOptions = {}) {
    this.historyLimit = options.historyLimit ?? 100;
  }

  async get(scope: string): Promise<SmtpSettingsRecord | null> {
    const state = this.scopes.get(scope);
    return state ? structuredClone(state.record) : null;
  }

  async put(
    scope: string,
    settings: SealedSmtpSettings,
    change: SmtpSettingsChange,
    expectedVersion?: number,
  ): Promise<SmtpSettingsRecord> {
    return this.apply(scope, 'update', settings, change, expectedVersion);
  }

  async delete(
    scope: string,
    change: SmtpSettingsChange,
    expectedVersion?: number,
  ): Promise<SmtpSettingsRecord> {
    return this.apply(scope, 'reset', null, change, expectedVersion);
  }

  async history(scope: string, limit?: number): Promise<SmtpSettingsHistoryEntry[]> {
    const history = this.scopes.get(scope)?.history ?? [];
    return structuredClone(limit === undefined ? history : history.slice(0, Math.max(0, limit)));
  }

  /** Lets several module instances that share this store (as in tests) follow each other's saves. */
  watch(scope: string, listener: (version: number) => void): () => void {
    let set = this.listeners.get(scope);
    if (!set) this.listeners.set(scope, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(scope) === set) this.listeners.delete(scope);
    };
  }

  /** Nothing survives a restart here, so a key that lives as long as the instance is enough. */
  async defaultEncryptionKey(): Promise<Buffer> {
    this.key ??= randomBytes(32);
    return Buffer.from(this.key);
  }

  private apply(
    scope: string,
    action: SmtpSettingsAction,
    settings: SealedSmtpSettings | null,
    change: SmtpSettingsChange,
    expectedVersion: number | undefined,
  ): SmtpSettingsRecord {
    const current = this.scopes.get(scope);
    const { record, history } = nextVersion(
      scope,
      action,
      settings,
      change,
      current && { version: current.record.version, history: current.history },
      expectedVersion,
      this.historyLimit,
    );
    this.scopes.set(scope, { record, history });
    this.notify(scope, record.version);
    return structuredClone(record);
  }

  private notify(scope: string, version: number): void {
    // Asynchronous, like a real store's change feed: a listener never runs inside the writer's call.
    for (const listener of this.listeners.get(scope) ?? []) {
      queueMicrotask(() => listener(version));
    }
  }
}
