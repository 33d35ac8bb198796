import { roundsOf, TickBatcher } from '../../internal/tick-batcher';
import type { PostgresPool } from '../../postgres/postgres-pool';
import * as sql from './postgres-send-log.batches.sql';
import type { SendLogTables } from './postgres-send-log.sql';

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
  /** The tenant's unparked messages still to make due (see unparkFreed): to one update that freed a place. */
  unparked: string[] | null;
  left_sending: boolean;
}

/**
 * One statement for the updates that arrived together, and one more for the parked messages the
 * places they freed go to; an entry named twice waits its turn.
 */
export async function updateBatch(
  pool: PostgresPool,
  tables: SendLogTables,
  batch: PendingUpdate[],
  queueName = '',
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
    const updated = rows as Array<Omit<UpdatedRow, 'unparked'> & { n: number }>;
    const unparked = await unparkFreed(
      pool,
      tables,
      updated.filter((row) => row.left_sending).map((row) => round[row.n]!.tenant),
      queueName,
    );
    for (const row of updated) {
      const tenant = round[row.n]!.tenant;
      // Each tenant's unparked ids once, to an update of it that left `sending`.
      const ids = row.left_sending ? unparked.get(tenant) : undefined;
      if (ids) unparked.delete(tenant);
      answers.set(round[row.n]!, { ...row, unparked: ids ?? null });
    }
  }
  return batch.map((update) => answers.get(update));
}

/**
 * The messages parked behind the places that these updates (one tenant each) freed; with the
 * queue's name, those whose jobs slept are made due by the statement itself and not named.
 */
async function unparkFreed(
  pool: PostgresPool,
  tables: SendLogTables,
  tenants: string[],
  queueName: string,
): Promise<Map<string, string[]>> {
  const freed = new Map<string, number>();
  for (const tenant of tenants) freed.set(tenant, (freed.get(tenant) ?? 0) + 1);
  if (freed.size === 0) return new Map();
  // The updates are committed whatever happens here: a refused unpark leaves its messages
  // parked, for the next attempt of their tenant to end (or their fallback); it never fails them.
  const wake = queueName !== '';
  const answer = await pool
    .query(sql.unparkEntries(tables, wake), [
      [...freed.keys()],
      [...freed.values()],
      ...(wake ? [queueName] : []),
    ])
    .catch(() => ({ rows: [] }));
  const unparked = new Map<string, string[]>();
  for (const row of answer.rows as Array<{ tenant: string; ids: string[] | null }>) {
    if (row.ids?.length) unparked.set(row.tenant, row.ids);
  }
  return unparked;
}

/** One attempt's begin, as the batch statement takes it (see sql.beginEntries). */
export interface PendingBegin {
  tenant: string;
  id: string;
  patch: string;
  allowed: string;
  share: number;
}

export interface BeganRow {
  entry: string;
  outcome: 'applied' | 'parked' | 'refused';
}

/**
 * One statement per run of a tenant's begins with the same share, in the order they came: the
 * runs of one tenant one after another (each sees the places the previous took), tenants side by
 * side; an entry named twice waits for the next run.
 */
export async function beginBatch(
  pool: PostgresPool,
  tables: SendLogTables,
  options: { queueName: string; lockSpanMs: number },
  batch: PendingBegin[],
): Promise<Array<BeganRow | undefined>> {
  const byTenant = new Map<string, PendingBegin[]>();
  for (const begin of batch) {
    const own = byTenant.get(begin.tenant);
    if (own) own.push(begin);
    else byTenant.set(begin.tenant, [begin]);
  }
  const answers = new Map<PendingBegin, BeganRow>();
  await Promise.all(
    [...byTenant.values()].map(async (begins) => {
      for (const run of runsOf(begins)) {
        const { rows } = await pool.query(sql.beginEntries(tables), [
          run[0]!.tenant,
          run.map((_, n) => n),
          run.map((b) => b.id),
          run.map((b) => b.patch),
          run.map((b) => b.allowed),
          run[0]!.share,
          options.queueName,
          options.lockSpanMs,
        ]);
        for (const row of rows as Array<BeganRow & { n: number }>) {
          answers.set(run[row.n]!, { entry: row.entry, outcome: row.outcome });
        }
      }
    }),
  );
  return batch.map((begin) => answers.get(begin));
}

/** Consecutive begins with one share and no id twice, in order. */
function runsOf(begins: PendingBegin[]): PendingBegin[][] {
  const runs: PendingBegin[][] = [];
  let ids = new Set<string>();
  for (const begin of begins) {
    const last = runs[runs.length - 1];
    if (last && last[0]!.share === begin.share && !ids.has(begin.id)) last.push(begin);
    else {
      runs.push([begin]);
      ids = new Set();
    }
    ids.add(begin.id);
  }
  return runs;
}

/**
 * The send log's two batchers, each one statement at a time: what arrives while it runs goes in
 * the next (a group commit). Updates that arrive together (workers finishing at once) go as one
 * statement; attempts that begin together, as one statement per tenant: each begin took the
 * tenant's share row until its commit, so one by one they waited for each other's flush.
 */
export function sendLogBatches(
  pool: PostgresPool,
  tables: SendLogTables,
  options: { queueName: string; lockSpanMs: number },
) {
  return {
    updates: new TickBatcher(
      (batch: PendingUpdate[]) => updateBatch(pool, tables, batch, options.queueName),
      undefined,
      { oneInFlight: true },
    ),
    begins: new TickBatcher(
      (batch: PendingBegin[]) => beginBatch(pool, tables, options, batch),
      undefined,
      { oneInFlight: true },
    ),
  };
}
