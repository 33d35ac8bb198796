import type { JobsOptions } from 'bullmq';
import type { SendLogEntry } from '../../interfaces/outbox.interface';
import { roundsOf, TickBatcher } from '../../internal/tick-batcher';
import { quote } from '../../postgres/postgres-identifier';
import type { OutboxBackendHandle } from '../outbox-backend';
import type { OutboxEnqueueWriter } from '../enqueue/outbox-enqueue-writer.interface';
import type { OutboxJobData } from '../outbox-message';
import { sendLogTables } from './postgres-send-log.sql';

type Write = { entry: SendLogEntry; data: OutboxJobData; options: JobsOptions };

/**
 * On PostgreSQL: one statement inserts the entries and, for each that was new, adds its job
 * through BullMQ's own `add_job` function in the same schema (it runs with its own search_path,
 * and notifies the workers as `Queue.add` does). One statement is one transaction: all or nothing.
 * The enqueues that arrive together share it. The arguments follow BullMQ's
 * PostgresQueueBackend.addJob, which this pins to bullmq ^6.7.
 */
export function postgresEnqueueWriter(
  backend: OutboxBackendHandle,
  schema: string,
  ensureTables: () => Promise<void>,
): OutboxEnqueueWriter {
  if (backend.connection.backend !== 'postgres')
    throw new Error('postgresEnqueueWriter: not PostgreSQL');
  const pool = backend.connection.pool;
  const log = sendLogTables(schema).log;
  const statement = `WITH input AS (
       SELECT * FROM unnest($2::int[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[],
         $7::text[], $8::jsonb[], $9::text[], $10::jsonb[], $11::jsonb[], $12::int[], $13::bigint[],
         $14::bigint[], $15::int[], $16::boolean[])
         AS i(n, tenant, id, created_at, updated_at, status, entry, name, data, opts, priority,
              delay, ts, attempts, lifo)
     ), added AS (
       INSERT INTO ${log} (tenant, id, created_at, updated_at, status, entry)
       SELECT tenant, id, created_at, updated_at, status, entry FROM input ORDER BY tenant, id
       ON CONFLICT (tenant, id) DO NOTHING
       RETURNING tenant, id
     )
     SELECT i.n, CASE WHEN a.id IS NOT NULL THEN ${quote(schema)}.add_job(
       $1::text, i.id, i.name, i.data, i.opts, i.priority, i.delay, i.ts,
       i.attempts, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, i.lifo
     ) END AS job_id
     FROM input i LEFT JOIN added a ON a.tenant = i.tenant AND a.id = i.id
     ORDER BY i.n`;

  async function writeBatch(batch: Write[]): Promise<Array<'added' | 'exists'>> {
    await ensureTables();
    // The same id twice in one statement would add its job twice: a repeat waits for the next.
    const [now = [], ...rest] = roundsOf(batch, (w) => `${w.entry.tenant}\n${w.entry.id}`);
    const later = rest.flat();
    const columns: unknown[][] = Array.from({ length: 15 }, () => []);
    for (const [n, { entry, data, options }] of now.entries()) {
      const job = new backend.bullmq.Job<OutboxJobData>(
        backend.queue,
        'send',
        data,
        { ...options, jobId: data.id },
        data.id,
      );
      const json = job.asJSON();
      const opts = (json.opts ?? {}) as JobsOptions;
      const row = [
        n,
        entry.tenant,
        entry.id,
        entry.createdAt,
        entry.updatedAt,
        entry.status,
        JSON.stringify(entry),
        json.name,
        json.data,
        JSON.stringify(opts),
        opts.priority ?? 0,
        opts.delay ?? 0,
        json.timestamp,
        opts.attempts ?? 1,
        // BullMQ's PostgreSQL backend orders a lifo job ahead of the wait list, as Redis does.
        opts.lifo ?? false,
      ];
      row.forEach((value, column) => columns[column]!.push(value));
    }
    const { rows } = await pool.query(statement, [backend.queue.name, ...columns]);
    const outcomes = new Map<Write, 'added' | 'exists'>();
    for (const row of rows as Array<{ n: number; job_id: string | null }>) {
      outcomes.set(now[row.n]!, row.job_id ? 'added' : 'exists');
    }
    if (later.length > 0) {
      const repeated = await writeBatch(later);
      later.forEach((write, i) => outcomes.set(write, repeated[i]!));
    }
    return batch.map((write) => outcomes.get(write) ?? 'exists');
  }

  const batcher = new TickBatcher(writeBatch);

  return {
    write(entry: SendLogEntry, data: OutboxJobData, options: JobsOptions) {
      return batcher.push({ entry, data, options });
    },
    provesNothingWritten(error) {
      const { code } = (error ?? {}) as { code?: unknown };
      // A SQLSTATE: the server answered, and the statement (its own transaction) rolled back. Or
      // the connection was never made. A connection lost mid-statement proves nothing.
      return (
        typeof code === 'string' &&
        (/^[0-9A-Z]{5}$/.test(code) || ['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH'].includes(code))
      );
    },
  };
}
