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
  /** Per tenant, its messages `sending` and since when (the share's places, see beginEntry). */
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

/**
 * A batch of updates, as arrays of one element per update: $1 its number in the batch, $2 tenant,
 * $3 id, $4 the patch (jsonb, with `updatedAt`), $5 the hour of the patch's `updatedAt`, $6 the
 * statuses it applies from (comma-separated), $7 whether it counts an attempt. One row per update
 * whose entry exists: the entry after (`applied`), or as it is when its status did not allow the
 * update. A change of status into sent, failed or held counts in its hour. Rows are locked in key
 * order, so that batches on other connections never deadlock with this one; a batch never names
 * an entry twice.
 */
export const updateEntries = (t: SendLogTables) =>
  `WITH input AS (
     SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::jsonb[], $5::timestamptz[],
       $6::text[], $7::boolean[]) AS i(n, tenant, id, patch, hour, allowed, count_attempt)
   ), old AS (
     SELECT l.tenant, l.id, l.status FROM ${t.log} l JOIN input i USING (tenant, id)
      ORDER BY l.tenant, l.id FOR UPDATE OF l
   ), changed AS (
     UPDATE ${t.log} l SET entry = l.entry || i.patch || CASE WHEN i.count_attempt
         THEN jsonb_build_object('attempts', COALESCE((l.entry->>'attempts')::int, 0) + 1)
         ELSE '{}'::jsonb END,
       status = COALESCE(i.patch->>'status', l.status),
       updated_at = (i.patch->>'updatedAt')::timestamptz
     FROM input i JOIN old o USING (tenant, id)
     WHERE l.tenant = i.tenant AND l.id = i.id
       AND o.status = ANY(string_to_array(i.allowed, ','))
     RETURNING i.n, i.tenant, i.id, i.hour, l.entry, l.status, o.status AS old_status
   ), counted AS (
     SELECT tenant, hour, count(*) FILTER (WHERE status = 'sent')::int AS sent,
            count(*) FILTER (WHERE status = 'failed')::int AS failed,
            count(*) FILTER (WHERE status = 'held')::int AS held
       FROM changed
      WHERE status IS DISTINCT FROM old_status AND status IN ('sent', 'failed', 'held')
      GROUP BY tenant, hour
   ), left_sending AS (
     SELECT tenant, count(*)::int AS n, array_agg(id) AS ids FROM changed
      WHERE old_status = 'sending' AND status <> 'sending' GROUP BY tenant
   ), freed AS (
     UPDATE ${t.share} s SET (holders, since) = (
       SELECT COALESCE(array_agg(h), '{}'), COALESCE(array_agg(at), '{}')
         FROM unnest(s.holders, s.since) AS x(h, at) WHERE h <> ALL(f.ids))
       FROM left_sending f WHERE s.tenant = f.tenant
   ), unparked AS (
     DELETE FROM ${t.parked} p USING (
       SELECT q.tenant, q.id FROM left_sending f CROSS JOIN LATERAL (
         SELECT tenant, id FROM ${t.parked} WHERE tenant = f.tenant
          ORDER BY parked_at, id LIMIT f.n FOR UPDATE SKIP LOCKED
       ) q
     ) pick
     WHERE p.tenant = pick.tenant AND p.id = pick.id
     RETURNING p.tenant, p.id
   ), hours_counted AS (
     INSERT INTO ${t.hourly} AS h (tenant, hour, sent, failed, held)
     SELECT tenant, hour, sent, failed, held FROM counted ORDER BY tenant, hour
     ON CONFLICT (tenant, hour) DO UPDATE SET sent = h.sent + EXCLUDED.sent,
       failed = h.failed + EXCLUDED.failed, held = h.held + EXCLUDED.held
   )
   SELECT n, entry::text AS entry, true AS applied,
          (SELECT array_agg(u.id) FROM unparked u WHERE u.tenant = c.tenant) AS unparked,
          old_status = 'sending' AND status <> 'sending' AS left_sending
     FROM changed c
   UNION ALL
   SELECT i.n, l.entry::text, false, NULL, false FROM input i JOIN ${t.log} l USING (tenant, id)
    WHERE NOT EXISTS (SELECT 1 FROM changed c WHERE c.n = i.n)`;

/**
 * An attempt begins: the entry moves to `sending` ($3 the patch, with `updatedAt`; $4 the statuses
 * it applies from) and counts an attempt, if the tenant has a place under its share ($5): fewer
 * than that many messages `sending`. One already `sending` is its own worker's, come back after a
 * crash, and keeps its place. The places are the tenant's row in the share table, taken with
 * ON CONFLICT DO UPDATE, which waits for a concurrent begin and then sees its places: two replicas
 * never both take the last one. A holder whose job no live worker holds (BullMQ's lock lapsed:
 * its worker crashed) gives its place up, once it is older than the lock's span ($7). Without a
 * place the message is parked. $1 tenant, $2 id, $6 the queue's name.
 * One row: the entry and the outcome, `applied`, `parked` or `refused` (its status did not allow
 * the update); no row without entry.
 */
export const beginEntry = (t: SendLogTables) =>
  `WITH old AS (
     SELECT status FROM ${t.log} WHERE tenant = $1 AND id = $2 FOR UPDATE
   ), wants AS (
     SELECT 1 FROM old WHERE status = ANY($4::text[]) AND status <> 'sending'
   ), places AS (
     -- The tenant's places: a holder counts while its attempt may run (BullMQ's lock on its job
     -- holds, or it began within the lock's span: a snapshot older than its lock cannot tell).
     SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now
   ), seat AS (
     INSERT INTO ${t.share} AS s (tenant, holders, since)
     SELECT $1, ARRAY[$2], ARRAY[p.now] FROM wants, places p
     ON CONFLICT (tenant) DO UPDATE SET (holders, since) = (
       SELECT COALESCE(array_agg(h), '{}') || $2::text, COALESCE(array_agg(at), '{}') || EXCLUDED.since[1]
         FROM unnest(s.holders, s.since) AS x(h, at)
        WHERE h <> $2 AND (at > EXCLUDED.since[1] - $7 OR EXISTS (
          SELECT 1 FROM ${t.jobs} j WHERE j.queue = $6 AND j.id = h AND j.state = 'active'
             AND j.locked_until_ms > EXCLUDED.since[1])))
     WHERE (
       SELECT count(*) FROM unnest(s.holders, s.since) AS x(h, at)
        WHERE h <> $2 AND (at > EXCLUDED.since[1] - $7 OR EXISTS (
          SELECT 1 FROM ${t.jobs} j WHERE j.queue = $6 AND j.id = h AND j.state = 'active'
             AND j.locked_until_ms > EXCLUDED.since[1]))
     ) < $5
     RETURNING 1
   ), admitted AS (
     SELECT 1 FROM old WHERE status = 'sending' AND 'sending' = ANY($4::text[])
     UNION ALL SELECT 1 FROM seat
   ), changed AS (
     UPDATE ${t.log} l SET entry = l.entry || $3::jsonb
         || jsonb_build_object('attempts', COALESCE((l.entry->>'attempts')::int, 0) + 1),
       status = 'sending', updated_at = ($3::jsonb->>'updatedAt')::timestamptz
     WHERE l.tenant = $1 AND l.id = $2 AND EXISTS (SELECT 1 FROM admitted)
     RETURNING l.entry
   ), parked AS (
     INSERT INTO ${t.parked} (tenant, id, parked_at)
     SELECT $1, $2, clock_timestamp() FROM wants WHERE NOT EXISTS (SELECT 1 FROM seat)
     ON CONFLICT (tenant, id) DO NOTHING
   ), unparked AS (
     DELETE FROM ${t.parked} WHERE tenant = $1 AND id = $2 AND EXISTS (SELECT 1 FROM admitted)
   )
   SELECT entry::text AS entry, 'applied' AS outcome FROM changed
   UNION ALL
   SELECT l.entry::text, CASE WHEN EXISTS (SELECT 1 FROM wants) THEN 'parked' ELSE 'refused' END
     FROM ${t.log} l WHERE l.tenant = $1 AND l.id = $2 AND NOT EXISTS (SELECT 1 FROM changed)`;

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
