import type { PostgresPool, PostgresPoolClient } from './postgres-pool';

/**
 * What a caller makes of a failure outside its work: connecting, or `BEGIN` and `COMMIT` (the
 * settings store says which step failed, in its own error); the error itself when left out.
 * What `work` throws passes unchanged.
 */
export interface TransactionFailures {
  connect(error: unknown): unknown;
  statement(error: unknown): unknown;
}

const AS_THROWN: TransactionFailures = { connect: (error) => error, statement: (error) => error };

/**
 * Runs `work` in a transaction on a connection of the pool: committed when it resolves, rolled
 * back when anything throws. The settings store and the outbox's tables share it.
 */
export async function inTransaction<T>(
  pool: PostgresPool,
  work: (client: PostgresPoolClient) => Promise<T>,
  failures: TransactionFailures = AS_THROWN,
): Promise<T> {
  let client: PostgresPoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw failures.connect(error);
  }
  // A connection lost between two statements is emitted as an 'error' on the client, which would
  // crash the app without a listener; the next statement fails with it anyway.
  client.on?.('error', ignore);
  const statement = (text: string) =>
    client.query(text).catch((error: unknown) => {
      throw failures.statement(error);
    });
  let broken = false;
  try {
    await statement('BEGIN');
    const result = await work(client);
    await statement('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => (broken = true));
    throw error;
  } finally {
    // A connection that cannot even roll back goes, rather than back to the pool.
    client.off?.('error', ignore);
    client.release(broken);
  }
}

function ignore(): void {}
