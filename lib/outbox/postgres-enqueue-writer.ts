import type { JobsOptions } from 'bullmq';
import type { SendLogEntry } from '../interfaces/outbox.interface';
import { quote } from '../stores/postgres/postgres-schema';
import type { OutboxBackendHandle } from './outbox-backend';
import type { OutboxEnqueueWriter } from './outbox-enqueue-writer.interface';
import type { OutboxJobData } from './outbox-message';
import { sendLogTables } from './postgres-send-log.sql';

/**
 * On PostgreSQL: one statement inserts the entry and, only if it was new, adds the job through
 * BullMQ's own `add_job` function in the same schema (it runs with its own search_path, and
 * notifies the workers as `Queue.add` does). One statement is one transaction: both or neither.
 * The arguments follow BullMQ's PostgresQueueBackend.addJob, which this pins to bullmq ^6.7.
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
  const statement = `WITH added AS (
       INSERT INTO ${log} (tenant, id, created_at, updated_at, status, entry)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb)
       ON CONFLICT (tenant, id) DO NOTHING
       RETURNING id
     )
     SELECT CASE WHEN EXISTS (SELECT 1 FROM added) THEN ${quote(schema)}.add_job(
       $7::text, $2::text, $8::text, $9::jsonb, $10::jsonb, $11::integer, $12::bigint, $13::bigint,
       $14::integer, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, false
     ) END AS job_id`;
  return {
    async write(entry: SendLogEntry, data: OutboxJobData, options: JobsOptions) {
      await ensureTables();
      const job = new backend.bullmq.Job<OutboxJobData>(
        backend.queue,
        'send',
        data,
        { ...options, jobId: data.id },
        data.id,
      );
      const json = job.asJSON();
      const opts = (json.opts ?? {}) as JobsOptions;
      const { rows } = await pool.query(statement, [
        entry.tenant,
        entry.id,
        entry.createdAt,
        entry.updatedAt,
        entry.status,
        JSON.stringify(entry),
        backend.queue.name,
        json.name,
        json.data,
        JSON.stringify(opts),
        opts.priority ?? 0,
        opts.delay ?? 0,
        json.timestamp,
        opts.attempts ?? 1,
      ]);
      return (rows[0] as { job_id: string | null } | undefined)?.job_id ? 'added' : 'exists';
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
