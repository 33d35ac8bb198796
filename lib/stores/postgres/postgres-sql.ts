import { StoreUnavailableError } from '../../errors/store-unavailable.error';
import { SettingsVersionConflictError } from '../../errors/settings-version-conflict.error';
import { messageOf } from '../../internal/message-of';
import type { PostgresPool, PostgresPoolClient } from '../../postgres/postgres-pool';

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

/** Runs `work` in a transaction on a connection of the pool. */
export async function transaction<T>(
  pool: PostgresPool,
  work: (client: PostgresPoolClient) => Promise<T>,
): Promise<T> {
  let client: PostgresPoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw storeError('could not connect', error);
  }
  let broken = false;
  try {
    await query(client, 'BEGIN');
    const result = await work(client);
    await query(client, 'COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => (broken = true));
    throw error;
  } finally {
    // A connection that cannot even roll back goes, rather than back to the pool.
    client.release(broken);
  }
}
