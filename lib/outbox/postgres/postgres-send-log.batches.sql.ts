import type { SendLogTables } from './postgres-send-log.sql';

/**
 * A batch of updates, as arrays of one element per update: $1 its number in the batch, $2 tenant,
 * $3 id, $4 the patch (jsonb, with `updatedAt`), $5 the hour of the patch's `updatedAt`, $6 the
 * statuses it applies from (comma-separated), $7 whether it counts an attempt. One row per update
 * whose entry exists: the entry after (`applied`), or as it is when its status did not allow the
 * update. A change of status into sent, failed or held counts in its hour. An update out of
 * `sending` gives up its place (its parked messages go by unparkEntries, after the commit). Rows
 * are locked in key order, so that batches on other connections never deadlock with this one; a
 * batch never names an entry twice.
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
   ), hours_counted AS (
     INSERT INTO ${t.hourly} AS h (tenant, hour, sent, failed, held)
     SELECT tenant, hour, sent, failed, held FROM counted ORDER BY tenant, hour
     ON CONFLICT (tenant, hour) DO UPDATE SET sent = h.sent + EXCLUDED.sent,
       failed = h.failed + EXCLUDED.failed, held = h.held + EXCLUDED.held
   )
   SELECT n, entry::text AS entry, true AS applied,
          old_status = 'sending' AND status <> 'sending' AS left_sending
     FROM changed c
   UNION ALL
   SELECT i.n, l.entry::text, false, false FROM input i JOIN ${t.log} l USING (tenant, id)
    WHERE NOT EXISTS (SELECT 1 FROM changed c WHERE c.n = i.n)`;

/**
 * Per tenant ($1) as many parked messages as places were freed ($2), longest parked first, each
 * taken once however many batches run at once. Its own statement, after the one that freed the
 * places commits: a begin that parked while that one waited for the tenant's places committed
 * first, and only a statement begun after it sees the message it parked (a snapshot is taken when
 * a statement starts); in the same statement, that message would sleep until its fallback.
 * With the queue's name ($3), the jobs of those that sleep are made due in the same step (see
 * unparkFrom).
 */
export const unparkEntries = (t: SendLogTables, wake: boolean) =>
  unparkFrom(t, `SELECT * FROM unnest($1::text[], $2::int[]) AS f(tenant, n)`, wake ? '$3' : null);

/**
 * The safety net for a lost unparking (its unparker stopped, or its statement failed): per tenant
 * with parked messages, as many as it has places free under its share ($1), the places counted as
 * a begin counts them (a holder whose job no live worker holds gives its place up once older than
 * the lock's span, $3); their jobs made due in the queue $2. Without a lost unparking it finds no
 * place free, or one that a begin is about to take (the message it unparks parks again).
 */
export const unparkStranded = (t: SendLogTables) =>
  unparkFrom(
    t,
    `SELECT * FROM (
       SELECT s.tenant, $1::int - (
           SELECT count(*)::int FROM unnest(s.holders, s.since) AS x(h, at)
            WHERE at > now.ms - $3 OR EXISTS (
              SELECT 1 FROM ${t.jobs} j WHERE j.queue = $2 AND j.id = h AND j.state = 'active'
                 AND j.locked_until_ms > now.ms)
         ) AS n
         FROM ${t.share} s,
              (SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint AS ms) now
        WHERE EXISTS (SELECT 1 FROM ${t.parked} p WHERE p.tenant = s.tenant)
     ) f WHERE n > 0`,
    '$2',
  );

/**
 * Unparks, per tenant of `freed` (tenant, n), its n longest parked messages. With the queue's name
 * (the parameter `queue`), the jobs of those that sleep are made due in the same step, and the
 * queue's workers told (BullMQ's own channel): a replica that stops between the two can no longer
 * leave a message unparked but asleep. One row per tenant that had any: the ids whose jobs did not
 * sleep yet (their worker is about to park them: it finds them unparked and wakes them).
 */
function unparkFrom(t: SendLogTables, freed: string, queue: string | null): string {
  return `WITH freed AS (${freed}), unparked AS (
     DELETE FROM ${t.parked} p USING (
       SELECT q.tenant, q.id FROM freed f CROSS JOIN LATERAL (
         SELECT tenant, id FROM ${t.parked} WHERE tenant = f.tenant
          ORDER BY parked_at, id LIMIT f.n FOR UPDATE SKIP LOCKED
       ) q
     ) pick
     WHERE p.tenant = pick.tenant AND p.id = pick.id
     RETURNING p.tenant, p.id
   )${
     queue
       ? `, woken AS (
     UPDATE ${t.jobs} j
        SET delay_ms = 0, process_at_ms = floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint
       FROM unparked u WHERE j.queue = ${queue} AND j.id = u.id AND j.state = 'delayed'
     RETURNING j.id
   ), told AS (
     SELECT pg_notify('bullmq_jobs', ${queue}) FROM (SELECT 1 FROM woken LIMIT 1) w
   )
   SELECT u.tenant, array_agg(u.id) FILTER (WHERE u.id NOT IN (SELECT id FROM woken)) AS ids
     FROM unparked u CROSS JOIN (SELECT count(*) FROM told) c GROUP BY u.tenant`
       : `
   SELECT tenant, array_agg(id) AS ids FROM unparked GROUP BY tenant`
   }`;
}

/**
 * Attempts of one tenant begin: each entry moves to `sending` (its patch, with `updatedAt`) and
 * counts an attempt, if the tenant has a place under its share ($6): fewer than that many
 * messages `sending`. One already `sending` is its own worker's, come back after a crash, and
 * keeps its place. The places are the tenant's row in the share table, taken once for the batch
 * with ON CONFLICT DO UPDATE, which waits for a concurrent begin and then sees its places: two
 * replicas never both take the last one. Places go to the attempts in their order, as many as are
 * free; the others are parked. A holder whose job no live worker holds (BullMQ's lock lapsed: its
 * worker crashed) gives its place up, once it is older than the lock's span ($8).
 * $1 tenant; per attempt, in arrays: $2 its number in the batch, $3 id, $4 the patch, $5 the
 * statuses it applies from (comma-separated); $7 the queue's name. One row per attempt whose entry
 * exists: its number, the entry and the outcome, `applied`, `parked` or `refused` (its status did
 * not allow the update). The entries are locked in id order, so that batches on other connections
 * never deadlock with this one; a batch never names an entry twice.
 */
export const beginEntries = (t: SendLogTables) =>
  `WITH input AS (
     SELECT * FROM unnest($2::int[], $3::text[], $4::jsonb[], $5::text[]) AS i(n, id, patch, allowed)
   ), old AS (
     SELECT l.id, l.status FROM ${t.log} l JOIN input i ON l.tenant = $1 AND l.id = i.id
      ORDER BY l.id FOR UPDATE OF l
   ), wants AS (
     SELECT i.n, i.id FROM input i JOIN old o USING (id)
      WHERE o.status = ANY(string_to_array(i.allowed, ',')) AND o.status <> 'sending'
   ), wanted AS (
     SELECT array_agg(id ORDER BY n) AS ids FROM wants
   ), places AS (
     SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now
   ), seat AS (
     -- Holders that still count (none of this batch's attempts, which are not sending), then as
     -- many of this batch's as the share has places left; no update when it has none.
     INSERT INTO ${t.share} AS s (tenant, holders, since)
     SELECT $1, w.ids[1:$6], array_fill(p.now, ARRAY[least(cardinality(w.ids), $6)])
       FROM wanted w, places p WHERE cardinality(w.ids) > 0
     ON CONFLICT (tenant) DO UPDATE SET (holders, since) = (
       SELECT COALESCE(array_agg(h ORDER BY o), '{}')
                || (SELECT ids FROM wanted)[1:($6 - count(*))::int],
              COALESCE(array_agg(at ORDER BY o), '{}')
                || array_fill(EXCLUDED.since[1], ARRAY[greatest(least(
                     cardinality((SELECT ids FROM wanted)), ($6 - count(*))::int), 0)])
         FROM unnest(s.holders, s.since) WITH ORDINALITY AS x(h, at, o)
        WHERE h NOT IN (SELECT id FROM wants) AND (at > EXCLUDED.since[1] - $8 OR EXISTS (
          SELECT 1 FROM ${t.jobs} j WHERE j.queue = $7 AND j.id = h AND j.state = 'active'
             AND j.locked_until_ms > EXCLUDED.since[1])))
     WHERE (
       SELECT count(*) FROM unnest(s.holders, s.since) AS x(h, at)
        WHERE h NOT IN (SELECT id FROM wants) AND (at > EXCLUDED.since[1] - $8 OR EXISTS (
          SELECT 1 FROM ${t.jobs} j WHERE j.queue = $7 AND j.id = h AND j.state = 'active'
             AND j.locked_until_ms > EXCLUDED.since[1]))
     ) < $6
     RETURNING s.holders
   ), admitted AS (
     SELECT i.id FROM input i JOIN old o USING (id)
      WHERE o.status = 'sending' AND 'sending' = ANY(string_to_array(i.allowed, ','))
     UNION ALL SELECT w.id FROM wants w, seat WHERE w.id = ANY(seat.holders)
   ), changed AS (
     UPDATE ${t.log} l SET entry = l.entry || i.patch
         || jsonb_build_object('attempts', COALESCE((l.entry->>'attempts')::int, 0) + 1),
       status = 'sending', updated_at = (i.patch->>'updatedAt')::timestamptz
       FROM input i
      WHERE l.tenant = $1 AND l.id = i.id AND i.id IN (SELECT id FROM admitted)
      RETURNING i.n, l.entry
   ), parked AS (
     INSERT INTO ${t.parked} (tenant, id, parked_at)
     SELECT $1, w.id, clock_timestamp() FROM wants w
      WHERE w.id NOT IN (SELECT id FROM admitted) ORDER BY w.n
     ON CONFLICT (tenant, id) DO NOTHING
   ), unparked AS (
     DELETE FROM ${t.parked} WHERE tenant = $1 AND id IN (SELECT id FROM admitted)
   )
   SELECT n, entry::text AS entry, 'applied' AS outcome FROM changed
   UNION ALL
   SELECT i.n, l.entry::text,
          CASE WHEN EXISTS (SELECT 1 FROM wants w WHERE w.n = i.n) THEN 'parked' ELSE 'refused' END
     FROM input i JOIN ${t.log} l ON l.tenant = $1 AND l.id = i.id
    WHERE NOT EXISTS (SELECT 1 FROM changed c WHERE c.n = i.n)`;
