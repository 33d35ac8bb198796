import { isSealedSecret } from '../../crypto/secret-sealer';
import type {
  SmtpSettingsHistoryEntry,
  SmtpSettingsRecord,
} from '../../interfaces/smtp-settings-store.interface';

/**
 * The two formats the README documents; a file of any other format is refused, never rewritten.
 * - 2, a tenant file: `{ "format": 2, "scope": "<tenant>", ...record, "history": [...] }`, one file
 *   per tenant (tenant-files.ts names them).
 * - 1, the single data file of 0.1.0: `{ "format": 1, "scopes": { "<scope>": { ...record,
 *   "history": [...] } } }`, read only to migrate it (legacy-file.ts).
 */
const TENANT_FORMAT = 2;
const LEGACY_FORMAT = 1;

export interface StoredScope extends SmtpSettingsRecord {
  history: SmtpSettingsHistoryEntry[];
}

/** Scopes as a Map, so that a scope named like an `Object.prototype` member stays plain data. */
export type Scopes = Map<string, StoredScope>;

export function formatTenantFile(stored: StoredScope): string {
  const { scope, version, updatedAt, updatedBy, settings, history } = stored;
  const file = { format: TENANT_FORMAT, scope, version, updatedAt, updatedBy, settings, history };
  return `${JSON.stringify(file, null, 2)}\n`;
}

/**
 * Throws, saying what is wrong, on anything but a whole tenant file of `scope`: a file copied
 * under another tenant's name is refused too.
 */
export function parseTenantFile(text: string, scope: string): StoredScope {
  const data: unknown = JSON.parse(text);
  if (!isObject(data) || data.format !== TENANT_FORMAT) {
    throw new Error(`"format" is not ${TENANT_FORMAT}`);
  }
  if (data.scope !== scope) {
    const held = typeof data.scope === 'string' ? `"${data.scope.slice(0, 64)}"` : 'none';
    throw new Error(`it holds the scope ${held}, not "${scope}"`);
  }
  const { format: _, ...stored } = data;
  if (!isStoredScope(scope, stored)) throw new Error(`scope "${scope}" is not a valid record`);
  return stored;
}

/** Throws, saying what is wrong, on anything but a whole data file of 0.1.0. */
export function parseLegacyFile(text: string): Scopes {
  const data: unknown = JSON.parse(text);
  if (!isObject(data) || data.format !== LEGACY_FORMAT) {
    throw new Error(`"format" is not ${LEGACY_FORMAT}`);
  }
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

/**
 * Whether the scope holds a sealed secret, which only the key that sealed it can open: a field's
 * own, or one a level down (a certificate credential's private key).
 */
export function holdsSealedSecrets(stored: StoredScope): boolean {
  if (stored.settings === null) return false;
  return Object.values(stored.settings).some(
    (value) =>
      isSealedSecret(value) || (isObject(value) && Object.values(value).some(isSealedSecret)),
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
