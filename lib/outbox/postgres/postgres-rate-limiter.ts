import { endPool, type PostgresPool, type PostgresPoolClient } from '../../postgres/postgres-pool';
import { quote } from '../../postgres/postgres-identifier';
import { inTransaction } from '../../postgres/postgres-transaction';
import { SCHEMA_LOCK } from '../../postgres/schema-lock';
import { assertWindow, IN_FLIGHT_LEASE_MS, UnsettledGrants } from '../rate-limit/rate-window';
import type { SharedRateLimiter } from '../rate-limit/shared-rate-limiter.interface';

interface Decision<T> {
  /** The key's grants from now on; null leaves them. */
  starts: number[] | null;
  /** The key's next free slot from now on. */
  nextSlot?: number;
  result: T;
  /** The time stamped on a grant given. */
  granted?: number;
}

export interface PostgresRateLimiterOptions {
  pool: PostgresPool;
  /** The outbox's schema (created when missing); the table is `<schema>.outbox_rate_limit`. */
  schema: string;
  /** End the pool on `close()`: only when the limiter opened it. */
  ownsPool?: boolean;
}

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
  private readonly tickets: string;
  private readonly ownsPool: boolean;
  private ready: Promise<void> | null = null;
  private lastPrune = 0;
  private pruning: Promise<unknown> = Promise.resolve();
  private readonly unsettled = new UnsettledGrants<number>();

  constructor(options: PostgresRateLimiterOptions) {
    this.pool = options.pool;
    this.schema = options.schema;
    this.table = `${quote(options.schema)}.${quote('outbox_rate_limit')}`;
    this.tickets = `${quote(options.schema)}.${quote('outbox_rate_tickets')}`;
    this.ownsPool = options.ownsPool ?? false;
  }

  /** See the Redis limiter: the same bookings, the key's next slot on its row, tickets in a table. */
  async acquire(key: string, limit: number, windowMs: number, ticket = ''): Promise<number> {
    assertWindow(limit, windowMs);
    const wait = await this.locked(key, windowMs, async (client, inWindow, booking, now) => {
      // Without a ticket, the caller neither books nor waits for bookings.
      const nextSlot = ticket === '' ? 0 : booking;
      let booked = false;
      if (ticket !== '' && (inWindow.length >= limit || nextSlot > now)) {
        const { rows } = await client.query(
          `DELETE FROM ${this.tickets} WHERE key = $1 AND ticket = $2 RETURNING ticket`,
          [key, ticket],
        );
        booked = rows.length === 1;
      }
      if (inWindow.length < limit && (booked || nextSlot <= now)) {
        const granted = now + IN_FLIGHT_LEASE_MS;
        return { starts: [...inWindow, granted], result: 0, granted };
      }
      // When the oldest grant leaves the window (one still in flight is taken to end now).
      const frees =
        inWindow.length > 0 ? Math.max(now + 1, Math.min(...inWindow, now) + windowMs) : now + 1;
      const slot = booked || ticket === '' ? frees : Math.max(nextSlot, frees);
      if (ticket !== '') {
        await client.query(
          `INSERT INTO ${this.tickets} (key, ticket, expires_at) VALUES ($1, $2, $3)
           ON CONFLICT (key, ticket) DO UPDATE SET expires_at = EXCLUDED.expires_at`,
          [key, ticket, slot + 2 * windowMs + IN_FLIGHT_LEASE_MS],
        );
      }
      return {
        starts: null,
        nextSlot: booked || ticket === '' ? undefined : slot + Math.ceil(windowMs / limit),
        result: slot - now,
      };
    });
    this.prune();
    return wait;
  }

  /** See the Redis limiter's BOOK. */
  async book(key: string, limit: number, windowMs: number, ticket: string): Promise<number> {
    assertWindow(limit, windowMs);
    return this.locked(key, windowMs, async (client, inWindow, nextSlot, now) => {
      let slot = Math.max(nextSlot, now);
      if (inWindow.length >= limit) {
        slot = Math.max(slot, now + 1, Math.min(...inWindow, now) + windowMs);
      }
      await client.query(
        `INSERT INTO ${this.tickets} (key, ticket, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (key, ticket) DO UPDATE SET expires_at = EXCLUDED.expires_at`,
        [key, ticket, slot + 2 * windowMs + IN_FLIGHT_LEASE_MS],
      );
      return { starts: null, nextSlot: slot + Math.ceil(windowMs / limit), result: slot - now };
    });
  }

  async settle(key: string, windowMs: number): Promise<void> {
    const at = this.unsettled.take(key);
    if (at === undefined) return;
    // The grant stamped `at` now counts from now (grants of one key and one time are alike).
    await this.locked(key, windowMs, (_client, inWindow, _next, now) => {
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
      client: PostgresPoolClient,
      inWindow: number[],
      nextSlot: number,
      now: number,
    ) => Decision<T> | Promise<Decision<T>>,
  ): Promise<T> {
    await this.ensureTable();
    const decision = await this.transaction(async (client) => {
      const { rows } = await client.query(
        `INSERT INTO ${this.table} AS r (key, starts, expires_at) VALUES ($1, '{}', 0)
         ON CONFLICT (key) DO UPDATE SET key = r.key
         RETURNING r.starts, r.next_slot,
                   floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now`,
        [key],
      );
      const row = rows[0] as { starts: string[]; next_slot: string; now: string };
      const now = Number(row.now);
      const decided = await decide(
        client,
        row.starts.map(Number).filter((at) => at > now - windowMs),
        Number(row.next_slot),
        now,
      );
      if (decided.starts || decided.nextSlot !== undefined) {
        await client.query(
          `UPDATE ${this.table} SET starts = COALESCE($2, starts), next_slot = COALESCE($3, next_slot),
             expires_at = GREATEST($4, COALESCE($3, next_slot) + $5) WHERE key = $1`,
          [
            key,
            decided.starts,
            decided.nextSlot ?? null,
            Math.ceil(now + windowMs + IN_FLIGHT_LEASE_MS),
            windowMs,
          ],
        );
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
      this.tickets,
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
      // Tables made before bookings: the key's next slot, and the tickets of booked callers.
      await client.query(
        `ALTER TABLE ${this.table} ADD COLUMN IF NOT EXISTS next_slot bigint NOT NULL DEFAULT 0`,
      );
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${this.tickets} (
           key text NOT NULL,
           ticket text NOT NULL,
           expires_at bigint NOT NULL,
           PRIMARY KEY (key, ticket)
         )`,
      );
    });
  }

  /** Deletes the rows whose last grant left its window; a row being acquired is left alone. */
  private prune(): void {
    if (Date.now() - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = Date.now();
    const expired = `expires_at < floor(extract(epoch FROM clock_timestamp()) * 1000)`;
    this.pruning = Promise.all([
      this.pool.query(`DELETE FROM ${this.table} WHERE ${expired}`),
      this.pool.query(`DELETE FROM ${this.tickets} WHERE ${expired}`),
    ]).catch(() => undefined);
  }

  private transaction<T>(work: (client: PostgresPoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, work);
  }
}
