import type { SealedSmtpSettings } from '../../interfaces/smtp-settings.types';
import type {
  SmtpSettingsAction,
  SmtpSettingsHistoryEntry,
  SmtpSettingsRecord,
} from '../../interfaces/smtp-settings-store.interface';
import type { PostgresTables } from './postgres-schema';

/**
 * The SQL of the store, for its tables. Values always travel as parameters. The tenant's column is
 * named `scope` (its name when the tables were first defined): tables that replicas of every
 * release already use keep working, so it is read back `AS tenant`.
 */

export interface RecordRow {
  tenant: string;
  version: number | string;
  updated_at: string;
  updated_by: string | null;
  settings: string | null;
}

export interface HistoryRow {
  version: number | string;
  at: string;
  by: string | null;
  action: SmtpSettingsAction;
  changed: string;
}

/** An ISO 8601 UTC timestamp with milliseconds, as `Date.prototype.toISOString` writes it. */
function utc(column: string): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

/** Formatted by PostgreSQL, so that a pool with custom type parsers reads the same values. */
const RECORD_COLUMNS = `scope AS tenant, version, ${utc('updated_at')} AS updated_at, updated_by, settings::text AS settings`;

/** $1 tenant. */
export const selectRecord = (t: PostgresTables) =>
  `SELECT ${RECORD_COLUMNS} FROM ${t.records} WHERE scope = $1`;

/** $1 tenant, $2 how many, newest first. */
export const selectHistory = (t: PostgresTables) =>
  `SELECT version, ${utc('at')} AS at, by, action, to_json(changed)::text AS changed
     FROM ${t.history} WHERE scope = $1 ORDER BY version DESC LIMIT $2`;

/** $1 tenant, $2 at, $3 by, $4 settings: writes whatever the version. */
export const upsertRecord = (t: PostgresTables) =>
  `INSERT INTO ${t.records} AS r (scope, version, updated_at, updated_by, settings)
   VALUES ($1, 1, $2, $3, $4::jsonb)
   ON CONFLICT (scope) DO UPDATE SET version = r.version + 1,
     updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by,
     settings = EXCLUDED.settings
   RETURNING ${RECORD_COLUMNS}`;

/**
 * $1 tenant, $2 at, $3 by, $4 settings: the first write only. Two first writes at once: the primary
 * key lets one insert, the other finds nothing to do.
 */
export const insertFirstRecord = (t: PostgresTables) =>
  `INSERT INTO ${t.records} (scope, version, updated_at, updated_by, settings)
   VALUES ($1, 1, $2, $3, $4::jsonb)
   ON CONFLICT (scope) DO NOTHING
   RETURNING ${RECORD_COLUMNS}`;

/**
 * $1 tenant, $2 at, $3 by, $4 settings, $5 expected version. The row lock orders concurrent updates;
 * the loser re-checks the version and matches nothing.
 */
export const updateRecordAt = (t: PostgresTables) =>
  `UPDATE ${t.records} SET version = version + 1,
     updated_at = $2, updated_by = $3, settings = $4::jsonb
   WHERE scope = $1 AND version = $5
   RETURNING ${RECORD_COLUMNS}`;

/** $1 tenant. */
export const selectVersion = (t: PostgresTables) =>
  `SELECT version FROM ${t.records} WHERE scope = $1`;

/** The version of every tenant ever written: what a listener that missed notifications catches up on. */
export const selectVersions = (t: PostgresTables) =>
  `SELECT scope AS tenant, version FROM ${t.records}`;

/** $1 tenant, $2 version, $3 at, $4 by, $5 action, $6 changed. */
export const insertHistory = (t: PostgresTables) =>
  `INSERT INTO ${t.history} (scope, version, at, by, action, changed)
   VALUES ($1, $2, $3, $4, $5, $6::text[])`;

/**
 * $1 tenant, $2 the newest version to drop. Versions of a tenant are consecutive, so dropping those
 * up to `version - limit` keeps exactly the newest `limit` entries.
 */
export const trimHistory = (t: PostgresTables) =>
  `DELETE FROM ${t.history} WHERE scope = $1 AND version <= $2`;

/**
 * $1 channel, $2 tenant, $3 version: sent on commit, and only then; never the settings. The payload
 * names the tenant `scope`, as replicas of earlier releases read it (listen-client.ts).
 */
export const NOTIFY = `SELECT pg_notify($1, json_build_object('scope', $2::text, 'version', $3::int)::text)`;

export function toRecord(row: RecordRow): SmtpSettingsRecord {
  return {
    tenant: row.tenant,
    version: Number(row.version),
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
    settings: row.settings === null ? null : (JSON.parse(row.settings) as SealedSmtpSettings),
  };
}

export function toHistoryEntry(row: HistoryRow): SmtpSettingsHistoryEntry {
  return {
    version: Number(row.version),
    at: row.at,
    by: row.by,
    action: row.action,
    changed: JSON.parse(row.changed) as string[],
  };
}
