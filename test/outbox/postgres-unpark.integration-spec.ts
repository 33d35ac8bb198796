import { randomUUID } from 'node:crypto';
import type { OutboxStatus, SendLogEntry } from '../../lib/interfaces/outbox.interface';
import { PostgresSendLog } from '../../lib/outbox/postgres/postgres-send-log';
import {
  beginEntries,
  updateEntries,
} from '../../lib/outbox/postgres/postgres-send-log.batches.sql';
import { sendLogTables } from '../../lib/outbox/postgres/postgres-send-log.sql';
import { updateBatch } from '../../lib/outbox/postgres/postgres-send-log.updates';
import type { PostgresPool } from '../../lib/postgres/postgres-pool';
import { until } from '../fixtures/outbox-kit';
import { testSchema } from '../fixtures/postgres';
import { sendLogEntry } from '../fixtures/send-log-entry';

const QUEUE = 'smtp-outbox';
const WAITING: OutboxStatus[] = ['queued', 'held', 'sending'];

const entry = (tenant: string, over: Partial<SendLogEntry> = {}) =>
  sendLogEntry(tenant, Date.now(), over);

/**
 * A begin that parks a message holds its tenant's places until it commits. An attempt that leaves
 * `sending` meanwhile waits for those places; once they are its, it must see the message parked
 * behind it and unpark it: nothing else will (the tenant has no other attempt under way), and the
 * message would sleep until its fallback, minutes later.
 */
describe('PostgreSQL send log: unparking', () => {
  const place = testSchema('t_unpark');
  const tables = sendLogTables(place.name);
  let log: PostgresSendLog;

  beforeAll(async () => {
    log = new PostgresSendLog({
      pool: place.pool as unknown as PostgresPool,
      schema: place.name,
      logTtlMs: 86_400_000,
      logMaxCount: 1_000,
      queueName: QUEUE,
    });
    await log.init();
    // BullMQ's job table, as far as the log reads it (whose lock a place's holder still has) and
    // writes it (an unparked job that sleeps is made due).
    await place.pool.query(
      `CREATE TABLE ${tables.jobs} (queue text, id text, state text, locked_until_ms bigint,
         delay_ms bigint, process_at_ms bigint, PRIMARY KEY (queue, id))`,
    );
  });
  afterAll(() => place.drop());

  const job = (id: string, state: string) =>
    place.pool.query(
      `INSERT INTO ${tables.jobs} (queue, id, state, delay_ms, process_at_ms)
       VALUES ($1, $2, $3, 600000, $4)`,
      [QUEUE, id, state, Date.now() + 600_000],
    );
  /** An attempt's begin, with a share of one place. */
  const share = { from: WAITING, countAttempt: true, share: 1 };
  const at = (e: SendLogEntry) => ({ createdMs: Date.parse(e.createdAt) });

  /** `running` begins and takes the tenant's one place; `waiting` then parks behind it. */
  async function runningAndParked(tenant: string, running: SendLogEntry, waiting: SendLogEntry) {
    const began = await log.update(
      tenant,
      running.id,
      { status: 'sending' },
      { ...share, ...at(running) },
    );
    expect(began.applied).toBe(true);
    const parked = await log.update(
      tenant,
      waiting.id,
      { status: 'sending' },
      { ...share, ...at(waiting) },
    );
    expect(parked.parked).toBe(true);
  }

  it('unparks the message that begin parked', async () => {
    const tenant = `t-${randomUUID().slice(0, 8)}`;
    const [running, waiting] = [entry(tenant), entry(tenant)];
    for (const e of [running, waiting]) await log.add(e);
    // Its worker has not moved the parked message's job to delayed yet: it is named, to be woken.
    await job(waiting.id, 'active');
    const createdMs = Date.parse(running.createdAt);
    const began = await log.update(
      tenant,
      running.id,
      { status: 'sending' },
      { ...share, createdMs },
    );
    expect(began.applied).toBe(true);

    // The other message's begin, in a transaction of its own held open: the tenant's one place is
    // taken, so it parks, and keeps the share row locked until it commits.
    const parker = await place.pool.connect();
    try {
      const parkerPid = (await parker.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      await parker.query('BEGIN');
      const { rows } = await parker.query(beginEntries(tables), [
        tenant,
        [0],
        [waiting.id],
        [JSON.stringify({ status: 'sending', updatedAt: new Date().toISOString() })],
        [WAITING.join(',')],
        1,
        QUEUE,
        30_000,
      ]);
      expect(rows.map((row: { outcome: string }) => row.outcome)).toEqual(['parked']);

      const ending = log.update(
        tenant,
        running.id,
        { status: 'sent' },
        { from: ['sending'], createdMs },
      );
      await until(
        async () => {
          const { rows: blocked } = await place.pool.query(
            'SELECT 1 FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))',
            [parkerPid],
          );
          return blocked.length > 0;
        },
        'the ending attempt waiting for the tenant’s places',
        10_000,
      );
      await parker.query('COMMIT');

      const ended = await ending;
      expect(ended.applied).toBe(true);
      expect(ended.unparked).toEqual([waiting.id]);
      expect(await log.isParked(tenant, waiting.id)).toBe(false);
    } finally {
      parker.release();
    }
  });

  it('gives the unparked messages to the update that freed the place, not to another of its batch', async () => {
    const tenant = `t-${randomUUID().slice(0, 8)}`;
    // Ids in this order: the statement answers the updates in key order, the retried one first.
    const [failed, running, waiting] = ['a', 'b', 'c'].map((first) =>
      entry(tenant, { id: `${first}-${randomUUID()}` }),
    );
    for (const e of [running, failed, waiting]) await log.add(e);
    await log.update(tenant, failed.id, { status: 'failed' }, { from: ['queued'], ...at(failed) });
    await runningAndParked(tenant, running, waiting);

    const patch = (status: string) =>
      JSON.stringify({ status, updatedAt: new Date().toISOString() });
    const hour = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000).toISOString();
    const [retried, sent] = await updateBatch(place.pool as unknown as PostgresPool, tables, [
      {
        tenant,
        id: failed.id,
        patch: patch('queued'),
        hour,
        allowed: 'failed',
        countAttempt: false,
      },
      {
        tenant,
        id: running.id,
        patch: patch('sent'),
        hour,
        allowed: 'sending',
        countAttempt: false,
      },
    ]);
    expect(retried).toMatchObject({ applied: true, left_sending: false, unparked: null });
    expect(sent).toMatchObject({ applied: true, left_sending: true, unparked: [waiting.id] });
  });

  it('makes the job of a parked message that sleeps due in the same step, so that no replica must live to wake it', async () => {
    const tenant = `t-${randomUUID().slice(0, 8)}`;
    const [running, waiting] = [entry(tenant), entry(tenant)];
    for (const e of [running, waiting]) await log.add(e);
    await job(waiting.id, 'delayed');
    await runningAndParked(tenant, running, waiting);

    const before = Date.now();
    const ended = await log.update(
      tenant,
      running.id,
      { status: 'sent' },
      { from: ['sending'], ...at(running) },
    );
    expect(ended.applied).toBe(true);
    // Nothing left for the caller to wake: the statement did.
    expect(ended.unparked).toBeUndefined();
    expect(await log.isParked(tenant, waiting.id)).toBe(false);
    const { rows } = await place.pool.query(
      `SELECT state, delay_ms::int AS delay, process_at_ms::float8 AS due FROM ${tables.jobs} WHERE id = $1`,
      [waiting.id],
    );
    expect(rows[0]).toMatchObject({ state: 'delayed', delay: 0 });
    expect(rows[0].due).toBeGreaterThanOrEqual(before - 1_000);
    expect(rows[0].due).toBeLessThanOrEqual(Date.now() + 1_000);
  });
  it('unparks, at the sweep, the messages whose unparking was lost, only where their tenant has a place free', async () => {
    const [lost, busy, crashed] = ['lost', 'busy', 'crashed'].map(
      (name) => `${name}-${randomUUID().slice(0, 8)}`,
    );
    const pairs = [lost, busy, crashed].map((tenant) => [entry(tenant), entry(tenant)] as const);
    for (const [running, waiting] of pairs) {
      for (const e of [running, waiting]) await log.add(e);
      await job(waiting.id, 'delayed');
      await runningAndParked(running.tenant, running, waiting);
    }
    const [[lostRunning, lostWaiting], [busyRunning, busyWaiting], [, crashedWaiting]] = pairs;
    // `lost`: its attempt ended, and the unparking that follows the update never ran (its replica
    // stopped between the two statements).
    const hour = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000).toISOString();
    await place.pool.query(updateEntries(tables), [
      [0],
      [lost],
      [lostRunning.id],
      [JSON.stringify({ status: 'sent', updatedAt: new Date().toISOString() })],
      [hour],
      ['sending'],
      [false],
    ]);
    // `busy`: its attempt is under way (a live worker holds its job). `crashed`: its attempt's
    // worker died long ago (no lock, its place taken an hour ago).
    await job(busyRunning.id, 'active');
    await place.pool.query(
      `UPDATE ${tables.jobs} SET locked_until_ms = $2 WHERE queue = $1 AND id = $3`,
      [QUEUE, Date.now() + 600_000, busyRunning.id],
    );
    await place.pool.query(
      `UPDATE ${tables.share} SET since = ARRAY[$2::bigint] WHERE tenant = $1`,
      [crashed, Date.now() - 3_600_000],
    );
    expect(await log.isParked(lost, lostWaiting.id)).toBe(true);

    const before = Date.now();
    // Their jobs sleep: the statement makes them due itself, and names none.
    expect(await log.unparkStranded(1)).toEqual([]);
    expect(await log.isParked(lost, lostWaiting.id)).toBe(false);
    expect(await log.isParked(crashed, crashedWaiting.id)).toBe(false);
    expect(await log.isParked(busy, busyWaiting.id)).toBe(true);
    const { rows } = await place.pool.query(
      `SELECT id, delay_ms::int AS delay, process_at_ms::float8 AS due FROM ${tables.jobs}
        WHERE id = ANY($1) ORDER BY id`,
      [[lostWaiting.id, crashedWaiting.id, busyWaiting.id]],
    );
    const due = Object.fromEntries(
      rows.map((row: { id: string; due: number }) => [row.id, row.due]),
    );
    expect(due[lostWaiting.id]).toBeGreaterThanOrEqual(before - 1_000);
    expect(due[lostWaiting.id]).toBeLessThanOrEqual(Date.now() + 1_000);
    expect(due[crashedWaiting.id]).toBeLessThanOrEqual(Date.now() + 1_000);
    expect(due[busyWaiting.id]).toBeGreaterThan(Date.now() + 60_000);
    // A second sweep finds nothing more: the busy tenant's place is still taken.
    expect(await log.unparkStranded(1)).toEqual([]);
    expect(await log.isParked(busy, busyWaiting.id)).toBe(true);
  });
});
