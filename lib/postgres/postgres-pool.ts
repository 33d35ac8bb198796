import type { EventEmitter } from 'node:events';
import { requireOptional } from '../internal/optional-require';

/** What the PostgreSQL store and the outbox need of a `pg.PoolClient`. */
export interface PostgresPoolClient {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
  release(destroy?: boolean): void;
  /** A `pg` client's: a connection lost between two statements of a transaction is an 'error'. */
  on?(event: 'error', listener: (error: Error) => void): unknown;
  /** Removes what `on` added. */
  off?(event: 'error', listener: (error: Error) => void): unknown;
}

/**
 * What the PostgreSQL store and the outbox need of a `pg.Pool`: a `pg.Pool` is one. Declared here
 * so that the package's types do not depend on `@types/pg`.
 */
export interface PostgresPool {
  readonly options: object;
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
  connect(): Promise<PostgresPoolClient>;
  end(): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** `pool.end()` resolves before its clients' sockets are closed; this waits for those too. */
export async function endPool(pool: PostgresPool): Promise<void> {
  const events = pool as unknown as EventEmitter & { totalCount: number };
  let open = events.totalCount;
  const closed = new Promise<void>((resolve) => {
    if (open === 0) return resolve();
    events.on('remove', () => {
      if (--open <= 0) resolve();
    });
  });
  await pool.end();
  await closed;
}

/** A pool of the store's own, ended by its `close()`. */
export function newPool(connectionString: string): PostgresPool {
  return new (loadPg().Pool)({ connectionString });
}

/**
 * `pg`'s `Client`, for a connection outside any pool. Typed loosely, so that the package's
 * declarations do not need `@types/pg`.
 */
export function pgClientClass(): new (config: object) => unknown {
  return loadPg().Client;
}

/** Loaded only when needed, so that applications without `pg` can import this package. */
function loadPg(): typeof import('pg') {
  return requireOptional('pg', 'PostgresSmtpSettingsStore');
}
