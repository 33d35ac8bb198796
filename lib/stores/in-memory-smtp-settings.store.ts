import { Logger } from '@nestjs/common';
import { messageOf } from '../internal/message-of';
import { SMTP_SETTINGS_OPTION_DEFAULTS } from '../options/smtp-settings.defaults';
import { nextVersion } from './next-version';
import { TenantListeners } from './tenant-listeners';
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
   * How many history entries to keep per tenant, unless a change gives its own limit.
   * @default 100
   */
  historyLimit?: number;
}

interface TenantState {
  record: SmtpSettingsRecord;
  history: SmtpSettingsHistoryEntry[];
}

/** Keeps settings in memory: for tests and experiments, since everything is lost on restart. */
export class InMemorySmtpSettingsStore implements SmtpSettingsStore {
  private readonly tenants = new Map<string, TenantState>();
  private readonly listeners = new TenantListeners((error) =>
    new Logger(InMemorySmtpSettingsStore.name).error(
      `A settings listener failed: ${messageOf(error)}`,
    ),
  );
  private readonly historyLimit: number;

  constructor(options: InMemorySmtpSettingsStoreOptions = {}) {
    this.historyLimit = options.historyLimit ?? SMTP_SETTINGS_OPTION_DEFAULTS.historyLimit;
  }

  async get(tenant: string): Promise<SmtpSettingsRecord | null> {
    const state = this.tenants.get(tenant);
    return state ? structuredClone(state.record) : null;
  }

  async put(
    tenant: string,
    settings: SealedSmtpSettings,
    change: SmtpSettingsChange,
    expectedVersion?: number,
  ): Promise<SmtpSettingsRecord> {
    return this.apply(tenant, 'update', settings, change, expectedVersion);
  }

  async delete(
    tenant: string,
    change: SmtpSettingsChange,
    expectedVersion?: number,
  ): Promise<SmtpSettingsRecord> {
    return this.apply(tenant, 'reset', null, change, expectedVersion);
  }

  async history(tenant: string, limit?: number): Promise<SmtpSettingsHistoryEntry[]> {
    const history = this.tenants.get(tenant)?.history ?? [];
    return structuredClone(limit === undefined ? history : history.slice(0, Math.max(0, limit)));
  }

  /** Lets several module instances that share this store (as in tests) follow each other's saves. */
  watch(listener: (tenant: string, version: number) => void): () => void {
    return this.listeners.add(listener);
  }

  private apply(
    tenant: string,
    action: SmtpSettingsAction,
    settings: SealedSmtpSettings | null,
    change: SmtpSettingsChange,
    expectedVersion: number | undefined,
  ): SmtpSettingsRecord {
    const current = this.tenants.get(tenant);
    const { record, history } = nextVersion(
      tenant,
      action,
      settings,
      change,
      current && { version: current.record.version, history: current.history },
      expectedVersion,
      change.historyLimit ?? this.historyLimit,
    );
    this.tenants.set(tenant, { record, history });
    // Asynchronous, like a real store's change feed: a listener never runs inside the writer's call.
    queueMicrotask(() => this.listeners.emit(tenant, record.version));
    return structuredClone(record);
  }
}
