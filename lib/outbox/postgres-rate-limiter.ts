import {
  endPool,
  type PostgresPool,
  type PostgresPoolClient,
} from '../stores/postgres/postgres-pool';
import { quote } from '../stores/postgres/postgres-schema';
import { assertWindow, IN_FLIGHT_LEASE_MS, UnsettledGrants } from './rate-window';
import type { SharedRateLimiter } from './shared-rate-limiter.interface';

export interface PostgresRateLimiterOptions {
  pool: PostgresPool;
  /** The outbox's schema (created when missing); the table is `<schema>.outbox_rate_limit`. */
  schema: string;
  /** End the pool on `close()`: only when the limiter opened it. */
  ownsPool?: boolean;
}

/** The DDL lock every part of the package shares: replicas that start together take turns. */
const SCHEMA_LOCK = 'nest-smtp-settings:create-tables';
/** Rows of keys that nobody used for a whole window are deleted at most this often. */
const PRUNE_EVERY_MS = 60_000;

/**
 * The shared sliding window in PostgreSQL: one row per key holding the grants of its current
 * window (each stamped a lease ahead when given, in flight, and with the time its attempt ended
 * when it is over). An acquirer locks the key's
 * row for the length of a short transaction, so every worker of every replica takes its turn on the
 * same row, and the time is the database's, so replicas whose clocks differ still share one window.
 */
export class PostgresRateLimiter implements SharedRateLimiter {
  private readonly pool: PostgresPool;
  private readonly schema: string;
  private readonly table: string;
  private readonly ownsPool: boolean;
  private ready: Promise<void> | null = null;
  private lastPrune = 0;
  private pruning: Promise<unknown> = Promise.resolve();
  private readonly unsettled = new UnsettledGrants<number>();

  constructor(options: PostgresRateLimiterOptions) {
    this.pool = options.pool;
    this.schema = options.schema;
    this.table = `${quote(options.schema)}.${quote('outbox_rate_limit')}`;
    this.ownsPool = options.ownsPool ?? false;
  }

  async acquire(key: string, limit: number, windowMs: number): Promise<number> {
    assertWindow(limit, windowMs);
    // A grant is in flight, holding its slot, until settled (or its lease runs out): a refused
    // caller waits at most a window, and asks again.
    const wait = await this.locked(key, windowMs, (inWindow, now) =>
      inWindow.length >= limit
        ? {
            starts: null,
            result: Math.max(
              1,
              Math.min(windowMs, Math.ceil(Math.min(...inWindow) + windowMs - now)),
            ),
          }
        : {
            starts: [...inWindow, now + IN_FLIGHT_LEASE_MS],
            result: 0,
            granted: now + IN_FLIGHT_LEASE_MS,
          },
    );
    this.prune();
    return wait;
  }

  async settle(key: string, windowMs: number): Promise<void> {
    const at = this.unsettled.take(key);
    if (at === undefined) return;
    // The grant stamped `at` now counts from now (grants of one key and one time are alike).
    await this.locked(key, windowMs, (inWindow, now) => {
      const i = inWindow.indexOf(at);
      const others = i < 0 ? inWindow : [...inWindow.slice(0, i), ...inWindow.slice(i + 1)];
      return { starts: [...others, now], result: undefined };
    });
  }

  async used(key: string, windowMs: number): Promise<number> {
    await this.ensureTable();
    const { rows } = await this.pool.query(
      `SELECT coalesce(sum((at > floor(extract(epoch FROM clock_timestamp()) * 1000) - $2)::int), 0)::int AS used
         FROM ${this.table}, unnest(starts) AS at WHERE key = $1`,
      [key, windowMs],
    );
    return (rows[0] as { used: number } | undefined)?.used ?? 0;
  }

  async close(): Promise<void> {
    await this.pruning;
    if (this.ownsPool) await endPool(this.pool);
  }

  /**
   * Locks the key's row (creating it) for a short transaction and hands `decide` the key's grants
   * in the window and the time; `starts` (when not null) replaces them. The upsert makes every
   * concurrent caller of the key wait here; the clock is read after the lock (RETURNING), so a
   * grant is stamped with the time it is actually given.
   */
  private async locked<T>(
    key: string,
    windowMs: number,
    decide: (
      inWindow: number[],
      now: number,
    ) => { starts: number[] | null; result: T; granted?: number },
  ): Promise<T> {
    await this.ensureTable();
    const decision = await this.transaction(async (client) => {
      const { rows } = await client.query(
        `INSERT INTO ${this.table} AS r (key, starts, expires_at) VALUES ($1, '{}', 0)
         ON CONFLICT (key) DO UPDATE SET key = r.key
         RETURNING r.starts, floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now`,
        [key],
      );
      const row = rows[0] as { starts: string[]; now: string };
      const now = Number(row.now);
      const decided = decide(
        row.starts.map(Number).filter((at) => at > now - windowMs),
        now,
      );
      if (decided.starts) {
        await client.query(`UPDATE ${this.table} SET starts = $2, expires_at = $3 WHERE key = $1`, [
          key,
          decided.starts,
          Math.ceil(now + windowMs + IN_FLIGHT_LEASE_MS),
        ]);
      }
      return decided;
    });
    // Only once committed: a grant rolled back was never given.
    if (decision.granted !== undefined) this.unsettled.add(key, decision.granted);
    return decision.result;
  }

  private ensureTable(): Promise<void> {
    this.ready ??= this.createTable().catch((error: unknown) => {
      this.ready = null; // the next acquire tries again
      throw error;
    });
    return this.ready;
  }

  private async createTable(): Promise<void> {
    const { rows } = await this.pool.query('SELECT to_regclass($1) IS NOT NULL AS ready', [
      this.table,
    ]);
    // Already there: no DDL, so a role without CREATE privilege can use a table made for it.
    if ((rows[0] as { ready: boolean }).ready) return;
    await this.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [SCHEMA_LOCK]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${quote(this.schema)}`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${this.table} (
           key text PRIMARY KEY,
           starts bigint[] NOT NULL,
           expires_at bigint NOT NULL
         )`,
      );
    });
  }

  /** Deletes the rows whose last grant left its window; a row being acquired is left alone. */
  private prune(): void {
    if (Date.now() - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = Date.now();
    this.pruning = this.pool
      .query(
        `DELETE FROM ${this.table}
          WHERE expires_at < floor(extract(epoch FROM clock_timestamp()) * 1000)`,
      )
      .catch(() => undefined);
  }

  private async transaction<T>(work: (client: PostgresPoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => (broken = true));
      throw error;
    } finally {
      client.release(broken);
    }
  }
}
