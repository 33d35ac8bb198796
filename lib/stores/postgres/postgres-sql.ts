import { StoreUnavailableError } from '../../errors/store-unavailable.error';
import { SettingsVersionConflictError } from '../../errors/settings-version-conflict.error';
import { messageOf } from '../../internal/message-of';
import type { PostgresPool, PostgresPoolClient } from '../../postgres/postgres-pool';
import { inTransaction } from '../../postgres/postgres-transaction';

export type Queryable = Pick<PostgresPool, 'query'>;

/** A store error that says what failed; the store's own errors pass through. */
export function storeError(what: string, error: unknown): unknown {
  if (error instanceof StoreUnavailableError || error instanceof SettingsVersionConflictError) {
    return error;
  }
  return new StoreUnavailableError(`The PostgreSQL settings store ${what}: ${messageOf(error)}`);
}

export async function query<R extends object>(
  client: Queryable,
  text: string,
  values?: unknown[],
): Promise<{ rows: R[] }> {
  try {
    return (await client.query(text, values)) as { rows: R[] };
  } catch (error) {
    throw storeError('query failed', error);
  }
}

/** Runs `work` in a transaction, and says which step failed when it was not `work`. */
export function transaction<T>(
  pool: PostgresPool,
  work: (client: PostgresPoolClient) => Promise<T>,
): Promise<T> {
  return inTransaction(pool, work, {
    connect: (error) => storeError('could not connect', error),
    statement: (error) => storeError('query failed', error),
  });
}
