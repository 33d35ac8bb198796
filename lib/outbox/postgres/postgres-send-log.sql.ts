import { quote } from '../../postgres/postgres-identifier';

/**
 * The tables of the PostgreSQL send log, in the outbox's schema beside BullMQ's: `outbox_log` (one
 * row per message) and `outbox_log_hourly` (sent, failed and held per tenant and hour). Values
 * always travel as parameters. (0.2.0's `outbox_idempotency` is no longer used: an idempotency key
 * now names the message's id itself, see outbox-ids.ts.)
 */
export interface SendLogTables {
  schema: string;
  log: string;
  hourly: string;
  /** Per tenant, its messages `sending` and since when (the share's places, see beginEntries). */
  share: string;
  /** The messages waiting for a place under their tenant's share. */
  parked: string;
  /** BullMQ's job table, in the same schema. */
  jobs: string;
}

export function sendLogTables(schema: string): SendLogTables {
  const qualify = (name: string) => `${quote(schema)}.${quote(name)}`;
  return {
    schema,
    log: qualify('outbox_log'),
    hourly: qualify('outbox_log_hourly'),
    share: qualify('outbox_share'),
    parked: qualify('outbox_parked'),
    jobs: qualify('job'),
  };
}

/** One lock for the log's DDL, so that replicas starting together take turns. */
export const SCHEMA_LOCK = 'nest-smtp-settings:outbox-log-tables';

const SETTLED = `('sent', 'failed', 'uncertain')`;
const WAITING = `('queued', 'sending', 'held')`;

/** $1: the tables, for `to_regclass`. */
export const TABLES_READY =
  'SELECT bool_and(to_regclass(t) IS NOT NULL) AS ready FROM unnest($1::text[]) AS t';

export function createTables(t: SendLogTables): string[] {
  const index = (name: string) => quote(`outbox_log_${name}`);
  return [
    `CREATE SCHEMA IF NOT EXISTS ${quote(t.schema)}`,
    `CREATE TABLE IF NOT EXISTS ${t.log} (
       tenant text NOT NULL,
       id text NOT NULL,
       created_at timestamptz NOT NULL,
       updated_at timestamptz NOT NULL,
       status text NOT NULL,
       entry jsonb NOT NULL,
       PRIMARY KEY (tenant, id)
     )`,
    // Newest-first pages of a tenant.
    `CREATE INDEX IF NOT EXISTS ${index('newest')} ON ${t.log} (tenant, created_at DESC, id DESC)`,
    // Pages of one status, counts by status, the oldest waiting message, held ids.
    `CREATE INDEX IF NOT EXISTS ${index('status')} ON ${t.log} (tenant, status, created_at DESC, id DESC)`,
    // Pruning by age, over every tenant.
    `CREATE INDEX IF NOT EXISTS ${index('settled')} ON ${t.log} (updated_at) WHERE status IN ${SETTLED}`,
    `CREATE TABLE IF NOT EXISTS ${t.hourly} (
       tenant text NOT NULL,
       hour timestamptz NOT NULL,
       sent integer NOT NULL DEFAULT 0,
       failed integer NOT NULL DEFAULT 0,
       held integer NOT NULL DEFAULT 0,
       PRIMARY KEY (tenant, hour)
     )`,
    `CREATE TABLE IF NOT EXISTS ${t.share} (
       tenant text PRIMARY KEY,
       holders text[] NOT NULL,
       since bigint[] NOT NULL
     )`,
    `CREATE TABLE IF NOT EXISTS ${t.parked} (
       tenant text NOT NULL,
       id text NOT NULL,
       parked_at timestamptz NOT NULL,
       PRIMARY KEY (tenant, id)
     )`,
  ];
}

/** Adds to the hour's bucket the rows of `source` (a CTE with `status`): $hour, $tenant. */
function countHour(t: SendLogTables, source: string, tenant: string, hour: string): string {
  return `INSERT INTO ${t.hourly} AS h (tenant, hour, sent, failed, held)
     SELECT ${tenant}, ${hour}::timestamptz, (s.status = 'sent')::int, (s.status = 'failed')::int,
            (s.status = 'held')::int
       FROM ${source} s
     ON CONFLICT (tenant, hour) DO UPDATE SET sent = h.sent + EXCLUDED.sent,
       failed = h.failed + EXCLUDED.failed, held = h.held + EXCLUDED.held`;
}

/**
 * $1 tenant, $2 id, $3 created, $4 updated, $5 status, $6 entry, $7 the hour of $4. An id already
 * logged changes nothing.
 */
export const insertEntry = (t: SendLogTables) =>
  `WITH added AS (
     INSERT INTO ${t.log} (tenant, id, created_at, updated_at, status, entry)
     VALUES ($1, $2, $3, $4, $5, $6::jsonb)
     ON CONFLICT (tenant, id) DO NOTHING
     RETURNING status
   ), counted AS (SELECT status FROM added WHERE status IN ('sent', 'failed', 'held'))
   ${countHour(t, 'counted', '$1', '$7')}`;

/** $1 tenant, $2 id: a row when the message is parked. */
export const selectParked = (t: SendLogTables) =>
  `SELECT 1 AS parked FROM ${t.parked} WHERE tenant = $1 AND id = $2`;

/** $1 tenant: the parked messages, longest parked first. */
export const selectParkedIds = (t: SendLogTables) =>
  `SELECT id FROM ${t.parked} WHERE tenant = $1 ORDER BY parked_at, id`;

/** $1 tenant, $2 id. */
export const selectEntry = (t: SendLogTables) =>
  `SELECT entry::text AS entry FROM ${t.log} WHERE tenant = $1 AND id = $2`;

/**
 * $1 tenant, $2 how many; with a status, $3 the status; with a cursor, then the cursor's creation
 * time and id. Newest first.
 */
export function selectPage(t: SendLogTables, byStatus: boolean, afterCursor: boolean): string {
  const where = ['tenant = $1'];
  if (byStatus) where.push('status = $3');
  if (afterCursor) {
    const at = byStatus ? 4 : 3;
    where.push(`(created_at, id) < ($${at}::timestamptz, $${at + 1}::text)`);
  }
  return `SELECT entry::text AS entry FROM ${t.log} WHERE ${where.join(' AND ')}
    ORDER BY created_at DESC, id DESC LIMIT $2`;
}

/** $1 tenant. */
export const selectHeldIds = (t: SendLogTables) =>
  `SELECT id FROM ${t.log} WHERE tenant = $1 AND status = 'held' ORDER BY created_at, id`;

/** $1 tenant: counts by status and, for waiting statuses, the oldest creation (epoch ms). */
export const selectCounts = (t: SendLogTables) =>
  `SELECT status, count(*)::int AS count,
          CASE WHEN status IN ${WAITING}
               THEN (extract(epoch FROM min(created_at)) * 1000)::bigint::text END AS oldest
     FROM ${t.log} WHERE tenant = $1 GROUP BY status`;

/** $1 tenant, $2 the first hour (ISO). Each bucket's hour in epoch ms. */
export const selectHours = (t: SendLogTables) =>
  `SELECT (extract(epoch FROM hour) * 1000)::bigint::text AS hour, sent, failed, held
     FROM ${t.hourly} WHERE tenant = $1 AND hour >= $2::timestamptz`;

/** The tenants with messages waiting. */
export const selectWaitingTenants = (t: SendLogTables) =>
  `SELECT DISTINCT tenant FROM ${t.log} WHERE status IN ${WAITING} ORDER BY tenant`;

/** $1 cutoff (ISO): settled entries last changed at or before it. */
export const deleteExpired = (t: SendLogTables) =>
  `DELETE FROM ${t.log} WHERE status IN ${SETTLED} AND updated_at <= $1::timestamptz`;

/** $1 the most entries per tenant: the tenants over it, and by how many. */
export const selectOverCount = (t: SendLogTables) =>
  `SELECT tenant, (count(*) - $1)::int AS over FROM ${t.log} GROUP BY tenant HAVING count(*) > $1`;

/** $1 tenant, $2 how many: the least recently settled entries. */
export const deleteOldestSettled = (t: SendLogTables) =>
  `DELETE FROM ${t.log} WHERE tenant = $1 AND id IN (
     SELECT id FROM ${t.log} WHERE tenant = $1 AND status IN ${SETTLED}
      ORDER BY updated_at, id LIMIT $2)`;

/** $1 the first hour kept (ISO). */
export const deleteOldHours = (t: SendLogTables) =>
  `DELETE FROM ${t.hourly} WHERE hour < $1::timestamptz`;
