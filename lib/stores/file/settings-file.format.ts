import { isSealedSecret } from '../../crypto/secret-sealer';
import type {
  SmtpSettingsHistoryEntry,
  SmtpSettingsRecord,
} from '../../interfaces/smtp-settings-store.interface';

/**
 * The data file: `{ "format": 1, "scopes": { "<scope>": { ...record, "history": [...] } } }`.
 * The README documents it; a file of another format is refused, never rewritten.
 */
const FORMAT = 1;

export interface StoredScope extends SmtpSettingsRecord {
  history: SmtpSettingsHistoryEntry[];
}

/** Scopes as a Map, so that a scope named like an `Object.prototype` member stays plain data. */
export type Scopes = Map<string, StoredScope>;

export function formatSettingsFile(scopes: Scopes): string {
  return `${JSON.stringify({ format: FORMAT, scopes: Object.fromEntries(scopes) }, null, 2)}\n`;
}

/** Throws, saying what is wrong, on anything but a whole file of this format. */
export function parseSettingsFile(text: string): Scopes {
  const data: unknown = JSON.parse(text);
  if (!isObject(data) || data.format !== FORMAT) throw new Error(`"format" is not ${FORMAT}`);
  if (!isObject(data.scopes)) throw new Error('"scopes" is not an object');
  const scopes: Scopes = new Map();
  for (const [scope, stored] of Object.entries(data.scopes)) {
    if (!isStoredScope(scope, stored)) throw new Error(`scope "${scope}" is not a valid record`);
    scopes.set(scope, stored);
  }
  return scopes;
}

export function toRecord(stored: StoredScope): SmtpSettingsRecord {
  const { scope, version, updatedAt, updatedBy, settings } = stored;
  return { scope, version, updatedAt, updatedBy, settings };
}

/** Whether any scope holds a sealed secret, which only the key that sealed it can open. */
export function holdsSealedSecrets(scopes: Scopes): boolean {
  return [...scopes.values()].some(
    (stored) => stored.settings !== null && Object.values(stored.settings).some(isSealedSecret),
  );
}

function isStoredScope(scope: string, value: unknown): value is StoredScope {
  return (
    isObject(value) &&
    value.scope === scope &&
    isVersion(value.version) &&
    typeof value.updatedAt === 'string' &&
    isActor(value.updatedBy) &&
    (value.settings === null || isObject(value.settings)) &&
    Array.isArray(value.history) &&
    value.history.every(isHistoryEntry)
  );
}

function isHistoryEntry(value: unknown): value is SmtpSettingsHistoryEntry {
  return (
    isObject(value) &&
    isVersion(value.version) &&
    typeof value.at === 'string' &&
    isActor(value.by) &&
    (value.action === 'update' || value.action === 'reset') &&
    Array.isArray(value.changed) &&
    value.changed.every((field) => typeof field === 'string')
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isVersion(value: unknown): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isActor(value: unknown): boolean {
  return value === null || typeof value === 'string';
}
