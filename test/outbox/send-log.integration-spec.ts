import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { Pool } from 'pg';
import type { OutboxStatus, SendLogEntry } from '../../lib/interfaces/outbox.interface';
import { OutboxUnavailableError } from '../../lib/errors/outbox-unavailable.error';
import { InvalidCursorError } from '../../lib/errors/invalid-cursor.error';
import { PostgresSendLog } from '../../lib/outbox/postgres/postgres-send-log';
import { RedisSendLog } from '../../lib/outbox/redis/redis-send-log';
import type { SendLog } from '../../lib/outbox/send-log/send-log.interface';
import type { PostgresPool } from '../../lib/postgres/postgres-pool';
import { TEST_DATABASE_URL, testSchema, uniqueName } from '../fixtures/postgres';
import { sendLogEntry } from '../fixtures/send-log-entry';

const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Both logs also name the tenants with waiting messages. */
type Log = SendLog & { tenants(): Promise<string[]> };

interface Harness {
  open(retention?: { logTtlMs?: number; logMaxCount?: number }): Log;
  /** A log whose store cannot be reached. */
  unreachable(): Log;
  close(): Promise<void>;
}

/** Deletes every key under `prefix:`. */
async function dropKeys(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await client.unlink(...keys);
  } while (cursor !== '0');
}

function harness(backend: 'redis' | 'postgres'): Harness {
  const closers: Array<() => Promise<unknown>> = [];
  const retention = (r: { logTtlMs?: number; logMaxCount?: number } = {}) => ({
    logTtlMs: r.logTtlMs ?? 7 * DAY,
    logMaxCount: r.logMaxCount ?? 10_000,
  });
  if (backend === 'redis') {
    const prefix = uniqueName('t_log');
    const client = new Redis(TEST_REDIS_URL);
    closers.push(async () => {
      await dropKeys(client, prefix);
      await client.quit();
    });
    return {
      open: (r) => new RedisSendLog({ client, prefix, ...retention(r) }),
      unreachable() {
        const down = new Redis('redis://127.0.0.1:1', {
          maxRetriesPerRequest: 0,
          enableOfflineQueue: false,
          retryStrategy: () => null,
        });
        down.on('error', () => undefined);
        closers.push(async () => down.disconnect());
        return new RedisSendLog({ client: down, prefix, ...retention() });
      },
      close: async () => {
        for (const close of closers) await close();
      },
    };
  }
  const place = testSchema('t_log');
  const schema = place.name;
  const pool = new Pool({ connectionString: TEST_DATABASE_URL, max: 6 });
  pool.on('error', () => undefined);
  closers.push(() => pool.end());
  return {
    open: (r) =>
      new PostgresSendLog({
        pool: pool as unknown as PostgresPool,
        schema,
        ...retention(r),
      }),
    unreachable() {
      const down = new Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/test' });
      down.on('error', () => undefined);
      closers.push(() => down.end());
      return new PostgresSendLog({ pool: down as unknown as PostgresPool, schema, ...retention() });
    },
    close: async () => {
      for (const close of closers) await close();
      await place.drop();
    },
  };
}

let clock = Date.parse('2030-01-01T12:00:00.000Z');

function entry(tenant: string, over: Partial<SendLogEntry> = {}): SendLogEntry {
  clock += 1000;
  return sendLogEntry(tenant, clock, over);
}

async function addAll(log: SendLog, entries: SendLogEntry[]): Promise<SendLogEntry[]> {
  for (const e of entries) await log.add(e);
  return entries;
}

async function allPages(log: SendLog, tenant: string, limit: number, status?: OutboxStatus) {
  const pages: string[][] = [];
  let cursor: string | undefined;
  do {
    const page = await log.list(tenant, { limit, cursor, status });
    pages.push(page.items.map((e) => e.id));
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return pages;
}

describe.each(['redis', 'postgres'] as const)('Send log (%s)', (backend) => {
  let h: Harness;
  let log: Log;
  const tenant = () => `t-${randomUUID().slice(0, 8)}`;

  beforeAll(() => {
    h = harness(backend);
    log = h.open();
  });
  afterAll(async () => {
    await log.close();
    await h.close();
  });

  it('gives back an entry as it was added, and only to its tenant', async () => {
    const [a, b] = [tenant(), tenant()];
    const added = entry(a, { lastError: { code: 'ECONNREFUSED', message: 'down', at: 'x' } });
    await log.add(added);
    expect(await log.get(a, added.id)).toEqual(added);
    expect(await log.get(b, added.id)).toBeNull();
    expect(await log.get(a, randomUUID())).toBeNull();
  });

  it('keeps the first entry when an id is added twice', async () => {
    const a = tenant();
    const first = entry(a);
    await log.add(first);
    await log.add({ ...first, subject: 'Second', status: 'sent' });
    expect(await log.get(a, first.id)).toEqual(first);
    expect((await log.summary(a, clock)).counts).toMatchObject({ queued: 1, sent: 0 });
  });

  it('merges an update, stamps updatedAt, and never changes the id, tenant or creation time', async () => {
    const [a, b] = [tenant(), tenant()];
    const original = entry(a);
    await log.add(original);
    const before = Date.now();
    const { entry: updated, applied } = await log.update(a, original.id, {
      status: 'sent',
      attempts: 1,
      response: '250 OK',
      route: 'relay',
      settingsVersion: 3,
      id: 'other',
      tenant: b,
      createdAt: '2000-01-01T00:00:00.000Z',
      subject: undefined,
    });
    const after = Date.now();
    expect(updated).toEqual({
      ...original,
      status: 'sent',
      attempts: 1,
      response: '250 OK',
      route: 'relay',
      settingsVersion: 3,
      updatedAt: expect.any(String),
    });
    expect(applied).toBe(true);
    // Stamped by this process during the call.
    expect(Date.parse(updated!.updatedAt)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(updated!.updatedAt)).toBeLessThanOrEqual(after);
    expect(await log.get(a, original.id)).toEqual(updated);
    const nothing = { entry: null, applied: false };
    expect(await log.update(b, original.id, { status: 'failed' })).toEqual(nothing);
    expect(await log.update(a, randomUUID(), { status: 'failed' })).toEqual(nothing);
    expect((await log.get(a, original.id))!.status).toBe('sent');
  });

  it('applies an update only from the statuses its writer names, and never leaves sent', async () => {
    const a = tenant();
    const [held] = await addAll(log, [entry(a, { status: 'held' })]);
    const refused = await log.update(a, held!.id, { status: 'queued' }, { from: ['failed'] });
    expect(refused).toEqual({ entry: held, applied: false });
    const taken = await log.update(
      a,
      held!.id,
      { status: 'sending' },
      { from: ['queued', 'held'], countAttempt: true },
    );
    expect(taken).toMatchObject({ applied: true, entry: { status: 'sending', attempts: 1 } });
    await log.update(a, held!.id, { status: 'sent' }, { from: ['sending'] });
    for (const from of [undefined, ['sent'] as const]) {
      const again = await log.update(a, held!.id, { status: 'queued' }, { from });
      expect(again).toMatchObject({ applied: false, entry: { status: 'sent' } });
    }
    expect((await log.summary(a, Date.now())).counts).toMatchObject({
      sent: 1,
      held: 0,
      queued: 0,
    });
  });

  it('writes from what its writer last stored, and by compare and set on what another writer stored since', async () => {
    const a = tenant();
    const [first, second] = await addAll(log, [entry(a), entry(a)]);
    const createdMs = (e: SendLogEntry) => Date.parse(e.createdAt);
    const begin = (e: SendLogEntry) =>
      log.update(
        a,
        e.id,
        { status: 'sending' },
        { from: ['queued', 'sending'], countAttempt: true, createdMs: createdMs(e) },
      );
    // Nothing came between: the same entry as a read would give.
    const began = await begin(first!);
    const sent = await log.update(
      a,
      first!.id,
      { status: 'sent', response: '250 OK' },
      { from: ['sending'], createdMs: createdMs(first!), lastWrite: began },
    );
    expect(sent).toMatchObject({ applied: true });
    expect(await log.get(a, first!.id)).toEqual({
      ...first,
      status: 'sent',
      attempts: 1,
      response: '250 OK',
      updatedAt: expect.any(String),
    });
    // Another writer (a second attempt) came between: its count stays.
    const stale = await begin(second!);
    await begin(second!);
    const late = await log.update(
      a,
      second!.id,
      { status: 'sent' },
      { from: ['sending'], createdMs: createdMs(second!), lastWrite: stale },
    );
    expect(late).toMatchObject({ applied: true, entry: { status: 'sent', attempts: 2 } });
    // From a status that no longer allows it, nothing changes.
    const refused = await log.update(
      a,
      second!.id,
      { status: 'queued' },
      { from: ['sending'], createdMs: createdMs(second!), lastWrite: stale },
    );
    expect(refused).toMatchObject({ applied: false, entry: { status: 'sent', attempts: 2 } });
    expect(await log.get(a, second!.id)).toMatchObject({ status: 'sent', attempts: 2 });
    // Nor for an entry that is gone.
    const gone = randomUUID();
    const none = await log.update(
      a,
      gone,
      { status: 'sent' },
      { from: ['sending'], createdMs: createdMs(second!), lastWrite: stale },
    );
    expect(none).toMatchObject({ applied: false, entry: null });
    expect(await log.get(a, gone)).toBeNull();
    expect((await log.summary(a, Date.now())).counts).toMatchObject({ sent: 2, sending: 0 });
  });

  it('lets exactly one of ten concurrent updates from queued apply, each counting its attempt once', async () => {
    const a = tenant();
    const [queued] = await addAll(log, [entry(a)]);
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        log.update(a, queued!.id, { status: 'sending' }, { from: ['queued'], countAttempt: true }),
      ),
    );
    expect(results.filter((r) => r.applied)).toHaveLength(1);
    expect(await log.get(a, queued!.id)).toMatchObject({ status: 'sending', attempts: 1 });
  });

  it('applies updates that arrive together in their order: one entry twice, two tenants', async () => {
    const [a, b] = [tenant(), tenant()];
    const [ea] = await addAll(log, [entry(a)]);
    const [eb] = await addAll(log, [entry(b)]);
    const now = Date.parse(ea!.createdAt) + 1000;
    const at = new Date(now).toISOString();
    // Not awaited one by one: the log writes them as one batch.
    const results = await Promise.all([
      log.update(
        a,
        ea!.id,
        { status: 'sending', updatedAt: at },
        { from: ['queued'], countAttempt: true },
      ),
      log.update(
        b,
        eb!.id,
        { status: 'sending', updatedAt: at },
        { from: ['queued'], countAttempt: true },
      ),
      log.update(a, ea!.id, { status: 'sent', updatedAt: at }, { from: ['sending'] }),
      // Written after b's first update in the same batch: b is no longer queued.
      log.update(b, eb!.id, { status: 'sent', updatedAt: at }, { from: ['queued'] }),
    ]);
    expect(results.map((r) => r.applied)).toEqual([true, true, true, false]);
    expect(results[3]!.entry).toMatchObject({ status: 'sending', attempts: 1 });
    const ids = async (t: string, status: OutboxStatus) =>
      (await log.list(t, { limit: 10, status })).items.map((e) => e.id);
    expect(await ids(a, 'sent')).toEqual([ea!.id]);
    expect([...(await ids(a, 'queued')), ...(await ids(a, 'sending'))]).toEqual([]);
    expect(await ids(b, 'sending')).toEqual([eb!.id]);
    const summary = await log.summary(a, now);
    expect(summary.counts).toMatchObject({ queued: 0, sending: 0, sent: 1 });
    expect(summary.hourly.reduce((n, bucket) => n + bucket.sent, 0)).toBe(1);
    expect(await log.get(a, ea!.id)).toMatchObject({ status: 'sent', attempts: 1 });
  });

  it('lists newest first in pages that a cursor joins, with nothing missed or repeated', async () => {
    const a = tenant();
    const entries = await addAll(
      log,
      Array.from({ length: 7 }, () => entry(a)),
    );
    // Two more created in the same millisecond: the id orders them.
    const same = new Date(++clock).toISOString();
    const twins = await addAll(log, [
      entry(a, { createdAt: same, updatedAt: same }),
      entry(a, { createdAt: same, updatedAt: same }),
    ]);
    const newestFirst = [
      ...twins.map((t) => t.id).sort((x, y) => (x < y ? 1 : -1)),
      ...entries.map((e) => e.id).reverse(),
    ];
    const pages = await allPages(log, a, 4);
    expect(pages.map((p) => p.length)).toEqual([4, 4, 1]);
    expect(pages.flat()).toEqual(newestFirst);
    const whole = await log.list(a, { limit: 9 });
    expect(whole.nextCursor).toBeNull();
    expect(whole.items.map((e) => e.id)).toEqual(newestFirst);
  });

  it('filters by status, following each update', async () => {
    const a = tenant();
    const [e1, e2, e3] = await addAll(log, [entry(a), entry(a), entry(a)]);
    await log.update(a, e1!.id, { status: 'held', heldReason: 'EAUTH' });
    await log.update(a, e3!.id, { status: 'held', heldReason: 'EAUTH' });
    expect((await allPages(log, a, 1, 'held')).flat()).toEqual([e3!.id, e1!.id]);
    expect((await log.list(a, { limit: 10, status: 'queued' })).items.map((e) => e.id)).toEqual([
      e2!.id,
    ]);
    expect(await log.heldIds(a)).toEqual([e1!.id, e3!.id]);
    await log.update(a, e1!.id, { status: 'queued', heldReason: null });
    expect(await log.heldIds(a)).toEqual([e3!.id]);
    expect((await log.list(a, { limit: 10, status: 'sent' })).items).toEqual([]);
  });

  it('keeps tenants apart in lists, held ids and summaries', async () => {
    const [a, b] = [tenant(), tenant()];
    await addAll(log, [entry(a, { status: 'held' }), entry(a)]);
    expect((await log.list(b, { limit: 50 })).items).toEqual([]);
    expect(await log.heldIds(b)).toEqual([]);
    const summary = await log.summary(b, clock);
    expect(Object.values(summary.counts).every((n) => n === 0)).toBe(true);
    expect(summary.oldestWaitingAt).toBeNull();
    expect(summary.hourly.every((h) => h.sent + h.failed + h.held === 0)).toBe(true);
  });

  it('refuses a cursor that no page gave, naming the cursor', async () => {
    for (const cursor of ['nope!', Buffer.from('x:y').toString('base64url'), '']) {
      const refused = await log.list(tenant(), { limit: 5, cursor }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(InvalidCursorError);
      expect((refused as InvalidCursorError).problems[0]!.field).toBe('cursor');
    }
  });

  it('summarises counts, the oldest waiting message and 24 hourly buckets of transitions', async () => {
    const a = tenant();
    const now = Date.parse('2030-02-01T10:30:00.000Z');
    const at = (ms: number) => new Date(ms).toISOString();
    const old = entry(a, { createdAt: at(now - 5 * HOUR), updatedAt: at(now - 5 * HOUR) });
    const [e1, e2, e3, e4] = await addAll(log, [
      old,
      ...Array.from({ length: 3 }, () =>
        entry(a, { createdAt: at(now - 2 * HOUR), updatedAt: at(now - 2 * HOUR) }),
      ),
    ]);
    await log.update(a, e1!.id, { status: 'held', updatedAt: at(now - 3 * HOUR) });
    await log.update(a, e1!.id, { status: 'held', updatedAt: at(now - 3 * HOUR + 1) });
    await log.update(a, e2!.id, { status: 'held', updatedAt: at(now - 90 * 60_000) });
    await log.update(a, e2!.id, { status: 'sending', updatedAt: at(now - 60 * 60_000) });
    await log.update(a, e2!.id, { status: 'sent', updatedAt: at(now - 60 * 60_000) });
    await log.update(a, e3!.id, { status: 'failed', updatedAt: at(now - 60_000) });
    await log.update(a, e4!.id, { status: 'uncertain', updatedAt: at(now - 60_000) });
    await log.add(entry(a, { status: 'sent', createdAt: at(now), updatedAt: at(now) }));
    await log.add(entry(a, { status: 'sent', createdAt: at(now - DAY), updatedAt: at(now - DAY) }));

    const summary = await log.summary(a, now);
    expect(summary.tenant).toBe(a);
    expect(summary.counts).toEqual({
      queued: 0,
      sending: 0,
      held: 1,
      sent: 3,
      failed: 1,
      uncertain: 1,
    });
    expect(summary.oldestWaitingAt).toBe(old.createdAt);
    expect(summary.oldestWaitingAgeMs).toBe(5 * HOUR);
    expect(summary.hourly).toHaveLength(24);
    expect(summary.hourly[0]!.hour).toBe('2030-01-31T11:00:00.000Z');
    expect(summary.hourly[23]!.hour).toBe('2030-02-01T10:00:00.000Z');
    const busy = summary.hourly.filter((b) => b.sent + b.failed + b.held > 0);
    expect(busy).toEqual([
      { hour: '2030-02-01T07:00:00.000Z', sent: 0, failed: 0, held: 1 },
      { hour: '2030-02-01T09:00:00.000Z', sent: 1, failed: 0, held: 1 },
      { hour: '2030-02-01T10:00:00.000Z', sent: 1, failed: 1, held: 0 },
    ]);
  });

  it('prunes settled entries older than the retention, never a waiting one', async () => {
    const pruning = h.open({ logTtlMs: DAY });
    const a = tenant();
    const now = Date.parse('2030-03-01T00:00:00.000Z');
    const at = (ms: number) => new Date(ms).toISOString();
    const stale = (status: OutboxStatus) =>
      entry(a, { status, createdAt: at(now - 3 * DAY), updatedAt: at(now - 2 * DAY) });
    const [sent, failed, uncertain, held, queued] = await addAll(pruning, [
      stale('sent'),
      stale('failed'),
      stale('uncertain'),
      stale('held'),
      stale('queued'),
    ]);
    const fresh = await addAll(pruning, [
      entry(a, { status: 'sent', createdAt: at(now - 3 * DAY), updatedAt: at(now - HOUR) }),
    ]);
    await pruning.prune(now);
    for (const gone of [sent, failed, uncertain]) expect(await pruning.get(a, gone!.id)).toBeNull();
    const left = (await pruning.list(a, { limit: 50 })).items.map((e) => e.id).sort();
    expect(left).toEqual([held!.id, queued!.id, fresh[0]!.id].sort());
    expect((await pruning.summary(a, now)).counts).toMatchObject({
      sent: 1,
      failed: 0,
      uncertain: 0,
      held: 1,
      queued: 1,
    });
    await pruning.close();
  });

  it('prunes a tenant down to the most entries, the least recently settled first', async () => {
    const pruning = h.open({ logMaxCount: 3 });
    const [a, b] = [tenant(), tenant()];
    // The first is uncertain, so that it can settle again (as failed): sent is final.
    const settled = await addAll(
      pruning,
      Array.from({ length: 5 }, (_, i) => entry(a, { status: i === 0 ? 'uncertain' : 'sent' })),
    );
    const waiting = await addAll(pruning, [entry(a), entry(a, { status: 'held' })]);
    const other = await addAll(pruning, [
      entry(b, { status: 'sent' }),
      entry(b, { status: 'sent' }),
    ]);
    // The oldest-created one settled last: it stays.
    await pruning.update(a, settled[0]!.id, {
      status: 'failed',
      updatedAt: new Date((clock += 1000)).toISOString(),
    });
    await pruning.prune(clock);
    const left = (await pruning.list(a, { limit: 50 })).items.map((e) => e.id).sort();
    expect(left).toEqual([settled[0]!.id, ...waiting.map((e) => e.id)].sort());
    expect((await pruning.list(b, { limit: 50 })).items).toHaveLength(other.length);
    await pruning.close();
  });

  it('names the tenants with waiting messages', async () => {
    const [a, b, c] = [tenant(), tenant(), tenant()];
    await addAll(log, [entry(a, { status: 'held' }), entry(b, { status: 'sent' }), entry(c)]);
    const tenants = await log.tenants();
    expect(tenants).toEqual(expect.arrayContaining([a, c]));
    expect(tenants).not.toContain(b);
  });

  it('keeps counts exact under concurrent updates', async () => {
    const a = tenant();
    const entries = await addAll(
      log,
      Array.from({ length: 10 }, () => entry(a)),
    );
    const steps: OutboxStatus[] = ['sending', 'held', 'queued', 'sending', 'sent'];
    await Promise.all(
      entries.flatMap((e) =>
        steps.map((status, i) => log.update(a, e.id, { status, attempts: i })),
      ),
    );
    const { counts } = await log.summary(a, clock);
    expect(Object.values(counts).reduce((x, y) => x + y, 0)).toBe(10);
    const statuses = await Promise.all(entries.map((e) => log.get(a, e.id)));
    for (const status of ['queued', 'sending', 'held', 'sent'] as const) {
      expect(counts[status]).toBe(statuses.filter((e) => e!.status === status).length);
    }
  });

  it('rejects with OutboxUnavailableError while its store is down', async () => {
    const down = h.unreachable();
    await expect(down.add(entry(tenant()))).rejects.toBeInstanceOf(OutboxUnavailableError);
    await expect(down.list(tenant(), { limit: 5 })).rejects.toBeInstanceOf(OutboxUnavailableError);
    await down.close();
  });
});
