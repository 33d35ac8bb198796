import type { SealedSmtpSettings } from './smtp-settings.types';

/**
 * What a store keeps for one tenant (a tenant id, validated before it reaches the store). Secrets in
 * `settings` are sealed, bound to the tenant: a store never sees plaintext.
 */
export interface SmtpSettingsRecord {
  /** The tenant id the record was stored under. */
  tenant: string;
  /** Grows by one with every change, resets included. Version 0 means "never configured". */
  version: number;
  updatedAt: string;
  updatedBy: string | null;
  /** `null` means the vendor relay is in use. */
  settings: SealedSmtpSettings | null;
}

/** One change, as the history shows it: field names only, never values. */
export interface SmtpSettingsHistoryEntry {
  version: number;
  at: string;
  by: string | null;
  action: 'update' | 'reset';
  changed: string[];
  /**
   * Which connection changed: `backup` for the backup connection's entries; the main settings'
   * entries leave it out (or say `main`). Stores never write it: the module adds it when it merges
   * the two histories.
   */
  connection?: 'main' | 'backup';
}

/** What a history entry records: a save, or a reset to the relay. */
export type SmtpSettingsAction = SmtpSettingsHistoryEntry['action'];

/** Who made a change and what it touched; the store assigns the version. */
export interface SmtpSettingsChange {
  at: string;
  by: string | null;
  changed: string[];
  /**
   * How many history entries the tenant keeps after this change: the module's `historyLimit`, which
   * a store honours over its own default. A store drops older entries as it writes this one.
   */
  historyLimit?: number;
}

/**
 * Where settings live. Implement it to keep them elsewhere; the module never knows which store it has.
 *
 * `put` and `delete` must be atomic with respect to `expectedVersion`: when it is given and does not
 * match, they throw `SettingsVersionConflictError` and write nothing (history included).
 */
export interface SmtpSettingsStore {
  get(tenant: string): Promise<SmtpSettingsRecord | null>;
  put(
    tenant: string,
    settings: SealedSmtpSettings,
    change: SmtpSettingsChange,
    expectedVersion?: number,
  ): Promise<SmtpSettingsRecord>;
  delete(
    tenant: string,
    change: SmtpSettingsChange,
    expectedVersion?: number,
  ): Promise<SmtpSettingsRecord>;
  /** Newest first. */
  history(tenant: string, limit?: number): Promise<SmtpSettingsHistoryEntry[]>;
  /**
   * Reports changes that another process made, of every tenant: one subscription for all tenants.
   * The listener receives the tenant and its new version; it may be called for versions the caller
   * already has (after a reconnect, say), so compare before acting. Returns an unsubscribe function.
   */
  watch?(listener: (tenant: string, version: number) => void): () => void;
  /** Releases what the store opened itself. Called once, on application shutdown. */
  close?(): Promise<void>;
}

/** Injection token for the store: one import gives both the type and the token. */
export const SmtpSettingsStore = Symbol('SMTP_SETTINGS:STORE');
