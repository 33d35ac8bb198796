import { isSealedSecret } from '../../crypto/secret-sealer';
import type {
  SmtpSettingsHistoryEntry,
  SmtpSettingsRecord,
} from '../../interfaces/smtp-settings-store.interface';

/**
 * The two formats the README documents; a file of any other format is refused, never rewritten.
 * - 2, a tenant file: `{ "format": 2, "scope": "<tenant>", ...record, "history": [...] }`, one file
 *   per tenant (tenant-files.ts names them).
 * - 1, the single data file of 0.1.0: `{ "format": 1, "scopes": { "<tenant>": { "scope":
 *   "<tenant>", ...record, "history": [...] } } }`, read only to migrate it (legacy-file.ts).
 *
 * The files keep the keys `"scope"` and `"scopes"` (what the record's `tenant` was called when they
 * were defined): files written by every release stay readable, and older releases read ours.
 */
const TENANT_FORMAT = 2;
const LEGACY_FORMAT = 1;

export interface StoredTenant extends SmtpSettingsRecord {
  history: SmtpSettingsHistoryEntry[];
}

/** Tenants as a Map, so that a tenant named like an `Object.prototype` member stays plain data. */
export type Tenants = Map<string, StoredTenant>;

/** A record and its history as a file holds them: the tenant under the key `"scope"`. */
type FileRecord = Omit<StoredTenant, 'tenant'> & { scope: string };

export function formatTenantFile(stored: StoredTenant): string {
  const { tenant, version, updatedAt, updatedBy, settings, history } = stored;
  // `scope`: the key that files of every release use for the tenant (see above).
  const file = {
    format: TENANT_FORMAT,
    scope: tenant,
    version,
    updatedAt,
    updatedBy,
    settings,
    history,
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}

/**
 * Throws, saying what is wrong, on anything but a whole tenant file of `tenant`: a file copied
 * under another tenant's name is refused too.
 */
export function parseTenantFile(text: string, tenant: string): StoredTenant {
  const data: unknown = JSON.parse(text);
  if (!isObject(data) || data.format !== TENANT_FORMAT) {
    throw new Error(`"format" is not ${TENANT_FORMAT}`);
  }
  if (data.scope !== tenant) {
    const held = typeof data.scope === 'string' ? `"${data.scope.slice(0, 64)}"` : 'none';
    throw new Error(`it holds the tenant ${held}, not "${tenant}"`);
  }
  if (!isFileRecord(tenant, data)) throw new Error(`tenant "${tenant}" is not a valid record`);
  return fromFile(data);
}

/** Throws, saying what is wrong, on anything but a whole data file of 0.1.0. */
export function parseLegacyFile(text: string): Tenants {
  const data: unknown = JSON.parse(text);
  if (!isObject(data) || data.format !== LEGACY_FORMAT) {
    throw new Error(`"format" is not ${LEGACY_FORMAT}`);
  }
  if (!isObject(data.scopes)) throw new Error('"scopes" is not an object');
  const tenants: Tenants = new Map();
  for (const [tenant, stored] of Object.entries(data.scopes)) {
    if (!isFileRecord(tenant, stored)) throw new Error(`tenant "${tenant}" is not a valid record`);
    tenants.set(tenant, fromFile(stored));
  }
  return tenants;
}

export function toRecord(stored: StoredTenant): SmtpSettingsRecord {
  const { tenant, version, updatedAt, updatedBy, settings } = stored;
  return { tenant, version, updatedAt, updatedBy, settings };
}

/**
 * Whether the tenant holds a sealed secret, which only the key that sealed it can open: a field's
 * own, or one a level down (a certificate credential's private key).
 */
export function holdsSealedSecrets(stored: StoredTenant): boolean {
  if (stored.settings === null) return false;
  return Object.values(stored.settings).some(
    (value) =>
      isSealedSecret(value) || (isObject(value) && Object.values(value).some(isSealedSecret)),
  );
}

function fromFile(file: FileRecord): StoredTenant {
  const { scope, version, updatedAt, updatedBy, settings, history } = file;
  return { tenant: scope, version, updatedAt, updatedBy, settings, history };
}

function isFileRecord(tenant: string, value: unknown): value is FileRecord {
  return (
    isObject(value) &&
    value.scope === tenant &&
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
