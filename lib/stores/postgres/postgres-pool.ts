import type { EventEmitter } from 'node:events';
import { messageOf } from '../../internal/message-of';

/** What the store needs of a `pg.PoolClient`. */
export interface PostgresPoolClient {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
  release(destroy?: boolean): void;
}

/**
 * What the store needs of a `pg.Pool`: a `pg.Pool` is one. Declared here so that the package's types
 * do not depend on `@types/pg`.
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

/** Loaded only when needed, so that applications without `pg` can import this package. */
export function loadPg(): typeof import('pg') {
  try {
    return require('pg') as typeof import('pg');
  } catch (error) {
    throw new Error(
      `PostgresSmtpSettingsStore needs the "pg" package: npm install pg (${messageOf(error)})`,
    );
  }
}
