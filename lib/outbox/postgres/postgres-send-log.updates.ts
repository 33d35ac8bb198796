import { roundsOf } from '../../internal/tick-batcher';
import type { PostgresPool } from '../../postgres/postgres-pool';
import * as sql from './postgres-send-log.sql';

/** One update of the PostgreSQL send log, as the batch statement takes it (see sql.updateEntries). */
export interface PendingUpdate {
  tenant: string;
  id: string;
  patch: string;
  hour: string;
  allowed: string;
  countAttempt: boolean;
}

export interface UpdatedRow {
  entry: string;
  applied: boolean;
  /** The tenant's messages unparked by the statement: given to the first update that freed a place. */
  unparked: string[] | null;
  left_sending: boolean;
}

/** One statement for the updates that arrived together; an entry named twice waits its turn. */
export async function updateBatch(
  pool: PostgresPool,
  tables: sql.SendLogTables,
  batch: PendingUpdate[],
): Promise<Array<UpdatedRow | undefined>> {
  const answers = new Map<PendingUpdate, UpdatedRow>();
  for (const round of roundsOf(batch, (update) => `${update.tenant}\n${update.id}`)) {
    const { rows } = await pool.query(sql.updateEntries(tables), [
      round.map((_, n) => n),
      round.map((u) => u.tenant),
      round.map((u) => u.id),
      round.map((u) => u.patch),
      round.map((u) => u.hour),
      round.map((u) => u.allowed),
      round.map((u) => u.countAttempt),
    ]);
    const given = new Set<string>();
    for (const row of rows as Array<UpdatedRow & { n: number }>) {
      const tenant = round[row.n]!.tenant;
      // Each tenant's unparked ids once, to an update of it that left `sending`.
      const unparked = row.left_sending && !given.has(tenant) ? row.unparked : null;
      if (unparked) given.add(tenant);
      answers.set(round[row.n]!, { ...row, unparked });
    }
  }
  return batch.map((update) => answers.get(update));
}
