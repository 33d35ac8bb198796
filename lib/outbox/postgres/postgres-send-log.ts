import { OutboxUnavailableError } from '../../errors/outbox-unavailable.error';
import { SmtpSettingsError } from '../../errors/smtp-settings.error';
import { messageOf } from '../../internal/message-of';
import type {
  OutboxStatus,
  OutboxSummary,
  SendLogEntry,
  SendLogPage,
  SendLogQuery,
} from '../../interfaces/outbox.interface';
import type { PostgresPool } from '../../postgres/postgres-pool';
import { inTransaction } from '../../postgres/postgres-transaction';
import type { SendLog, SendLogGuard, SendLogUpdate } from '../send-log/send-log.interface';
import {
  cursorAfter,
  hourlyBucket,
  summaryOf,
  hourOf,
  HOURLY_KEEP_MS,
  isOutboxStatus,
  last24Hours,
  changesOf,
  updatableFrom,
  parseEntry,
  parseCursor,
  timeOf,
  zeroCounts,
} from '../send-log/send-log-entries';
import { unparkStranded } from './postgres-send-log.batches.sql';
import * as sql from './postgres-send-log.sql';
import { sendLogBatches } from './postgres-send-log.updates';

/** BullMQ's default lock duration: a place taken more recently than this is never given up. */
const LOCK_SPAN_MS = 30_000;

export interface PostgresSendLogOptions {
  /** The outbox's pool: never ended by the log. */
  pool: PostgresPool;
  /** The outbox's schema, where the log's tables go beside the queue's. */
  schema: string;
  logTtlMs: number;
  logMaxCount: number;
  /** The queue whose jobs' locks tell a live attempt from a crashed one (see postgres-send-log.batches.sql.ts). */
  queueName?: string;
}

/**
 * The send log in PostgreSQL, in the outbox's schema: `outbox_log` holds one row per message (the
 * entry as jsonb, with its tenant, id, times and status as columns for the indexes),
 * `outbox_log_hourly` counts each hour's sent, failed and held messages. The tables are created on
 * first use.
 */
export class PostgresSendLog implements SendLog {
  private readonly pool: PostgresPool;
  private readonly tables: sql.SendLogTables;
  private ready?: Promise<void>;
  private readonly batches: ReturnType<typeof sendLogBatches>;

  constructor(private readonly options: PostgresSendLogOptions) {
    this.pool = options.pool;
    this.tables = sql.sendLogTables(options.schema);
    this.batches = sendLogBatches(this.pool, this.tables, {
      queueName: options.queueName ?? '',
      lockSpanMs: LOCK_SPAN_MS,
    });
  }

  /** Creates the tables when they are missing; every operation waits for it. */
  init(): Promise<void> {
    this.ready ??= this.createTables().catch((error: unknown) => {
      this.ready = undefined;
      throw unavailable('the send log could not create its tables', error);
    });
    return this.ready;
  }

  async add(entry: SendLogEntry): Promise<void> {
    const updatedMs = timeOf(entry.updatedAt, 'updatedAt');
    timeOf(entry.createdAt, 'createdAt');
    await this.query('the send log could not take the entry', sql.insertEntry(this.tables), [
      entry.tenant,
      entry.id,
      entry.createdAt,
      entry.updatedAt,
      entry.status,
      JSON.stringify(entry),
      new Date(hourOf(updatedMs)).toISOString(),
    ]);
  }

  async update(
    tenant: string,
    id: string,
    patch: Partial<SendLogEntry>,
    guard: SendLogGuard = {},
  ): Promise<SendLogUpdate> {
    const changes = changesOf(patch);
    const updatedMs = timeOf(changes.updatedAt, 'updatedAt');
    if (guard.share !== undefined && changes.status === 'sending') {
      return this.begin(tenant, id, changes, guard);
    }
    await this.init();
    const row = await this.batches.updates
      .push({
        tenant,
        id,
        patch: JSON.stringify(changes),
        hour: new Date(hourOf(updatedMs)).toISOString(),
        allowed: updatableFrom(guard.from).join(','),
        countAttempt: guard.countAttempt === true,
      })
      .catch((error: unknown) => {
        throw unavailable('the send log could not be updated', error);
      });
    return {
      entry: row ? parseEntry(row.entry) : null,
      applied: row?.applied === true,
      ...(row?.unparked ? { unparked: row.unparked } : {}),
    };
  }

  /** An attempt begins, if the tenant has a place under its share (see postgres-send-log.batches.sql.ts). */
  private async begin(
    tenant: string,
    id: string,
    changes: Partial<SendLogEntry>,
    guard: SendLogGuard,
  ): Promise<SendLogUpdate> {
    await this.init();
    const row = await this.batches.begins
      .push({
        tenant,
        id,
        patch: JSON.stringify(changes),
        allowed: updatableFrom(guard.from).join(','),
        share: guard.share!,
      })
      .catch((error: unknown) => {
        throw unavailable('the send log could not be updated', error);
      });
    return {
      entry: row ? parseEntry(row.entry) : null,
      applied: row?.outcome === 'applied',
      ...(row?.outcome === 'parked' ? { parked: true } : {}),
    };
  }

  async isParked(tenant: string, id: string): Promise<boolean> {
    const rows = await this.query('the send log could not be read', sql.selectParked(this.tables), [
      tenant,
      id,
    ]);
    return rows.length > 0;
  }

  async parkedIds(tenant: string): Promise<string[]> {
    const rows = await this.query<{ id: string }>(
      'the send log could not be read',
      sql.selectParkedIds(this.tables),
      [tenant],
    );
    return rows.map((row) => row.id);
  }

  async unparkStranded(share: number): Promise<string[]> {
    const rows = await this.query<{ ids: string[] | null }>(
      'the send log could not unpark',
      unparkStranded(this.tables),
      [share, this.options.queueName ?? '', LOCK_SPAN_MS],
    );
    return rows.flatMap((row) => row.ids ?? []);
  }

  async get(tenant: string, id: string): Promise<SendLogEntry | null> {
    const rows = await this.query<{ entry: string }>(
      'the send log could not be read',
      sql.selectEntry(this.tables),
      [tenant, id],
    );
    return rows[0] ? parseEntry(rows[0].entry) : null;
  }

  async list(tenant: string, query: SendLogQuery & { limit: number }): Promise<SendLogPage> {
    const after = query.cursor === undefined ? undefined : parseCursor(query.cursor);
    const values: unknown[] = [tenant, query.limit + 1];
    if (query.status) values.push(query.status);
    if (after) values.push(new Date(after.createdMs).toISOString(), after.id);
    const rows = await this.query<{ entry: string }>(
      'the send log could not be read',
      sql.selectPage(this.tables, query.status !== undefined, after !== undefined),
      values,
    );
    const items = rows.slice(0, query.limit).map((row) => parseEntry(row.entry));
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > query.limit && last ? cursorAfter(last) : null };
  }

  async heldIds(tenant: string): Promise<string[]> {
    const rows = await this.query<{ id: string }>(
      'the send log could not be read',
      sql.selectHeldIds(this.tables),
      [tenant],
    );
    return rows.map((row) => row.id);
  }

  async summary(
    tenant: string,
    now: number,
  ): Promise<Omit<OutboxSummary, 'rateLimit' | 'waiting'>> {
    const hours = last24Hours(now);
    const [countRows, hourRows] = await Promise.all([
      this.query<{ status: string; count: number; oldest: string | null }>(
        'the send log could not be read',
        sql.selectCounts(this.tables),
        [tenant],
      ),
      this.query<{ hour: string; sent: number; failed: number; held: number }>(
        'the send log could not be read',
        sql.selectHours(this.tables),
        [tenant, new Date(hours[0]!).toISOString()],
      ),
    ]);
    const counts = zeroCounts();
    let oldest: number | null = null;
    for (const row of countRows) {
      if (!isOutboxStatus(row.status)) continue;
      counts[row.status as OutboxStatus] = Number(row.count);
      if (row.oldest !== null) oldest = Math.min(oldest ?? Infinity, Number(row.oldest));
    }
    const byHour = new Map(hourRows.map((row) => [Number(row.hour), row]));
    const hourly = hours.map((hour) => hourlyBucket(hour, byHour.get(hour)));
    return summaryOf(tenant, counts, oldest, hourly, now);
  }

  async prune(now: number): Promise<void> {
    const what = 'the send log could not be pruned';
    await this.query(what, sql.deleteExpired(this.tables), [
      new Date(now - this.options.logTtlMs).toISOString(),
    ]);
    const over = await this.query<{ tenant: string; over: number }>(
      what,
      sql.selectOverCount(this.tables),
      [this.options.logMaxCount],
    );
    for (const { tenant, over: count } of over) {
      await this.query(what, sql.deleteOldestSettled(this.tables), [tenant, count]);
    }
    await this.query(what, sql.deleteOldHours(this.tables), [
      new Date(hourOf(now - HOURLY_KEEP_MS)).toISOString(),
    ]);
  }

  async tenants(): Promise<string[]> {
    const rows = await this.query<{ tenant: string }>(
      'the send log could not be read',
      sql.selectWaitingTenants(this.tables),
    );
    return rows.map((row) => row.tenant);
  }

  /** The pool is the outbox's: nothing of the log's own to close. */
  async close(): Promise<void> {
    await this.ready?.catch(() => undefined);
  }

  private async query<R extends object>(
    what: string,
    text: string,
    values?: unknown[],
  ): Promise<R[]> {
    await this.init();
    try {
      return (await this.pool.query(text, values)).rows as R[];
    } catch (error) {
      throw unavailable(what, error);
    }
  }

  private async createTables(): Promise<void> {
    const { log, hourly, share, parked } = this.tables;
    const { rows } = await this.pool.query(sql.TABLES_READY, [[log, hourly, share, parked]]);
    // Already there: no DDL, so a role without CREATE privilege can use tables made for it.
    if ((rows[0] as { ready?: boolean } | undefined)?.ready) return;
    await inTransaction(this.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
        sql.SCHEMA_LOCK,
      ]);
      for (const statement of sql.createTables(this.tables)) await client.query(statement);
    });
  }
}

function unavailable(what: string, error: unknown): unknown {
  if (error instanceof SmtpSettingsError) return error;
  return new OutboxUnavailableError(`${what}: ${messageOf(error)}`, error);
}
