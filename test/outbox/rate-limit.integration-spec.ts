import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { Pool } from 'pg';
import { PostgresRateLimiter } from '../../lib/outbox/postgres/postgres-rate-limiter';
import { RedisRateLimiter } from '../../lib/outbox/redis/redis-rate-limiter';
import type { SharedRateLimiter } from '../../lib/outbox/rate-limit/shared-rate-limiter.interface';
import { MailerService, OutboxService } from '../../lib';
import {
  busiestWindow,
  messageIdCounts,
  OUTBOX_BACKENDS,
  outboxPlace,
  until,
  type OutboxPlace,
} from '../fixtures/outbox-kit';
import { TEST_DATABASE_URL, testSchema, type TestSchema } from '../fixtures/postgres';
import { outboxJobs } from '../fixtures/outbox-jobs';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';

import { TEST_REDIS_URL as REDIS_URL } from '../fixtures/outbox-kit';

/** Two limiters on two connections of their own, as two replicas have: one shared window. */
interface Backend {
  name: 'redis' | 'postgres';
  open(): Promise<{ a: SharedRateLimiter; b: SharedRateLimiter; close(): Promise<void> }>;
}

const redis: Backend = {
  name: 'redis',
  async open() {
    const prefix = `test_rl_${randomBytes(5).toString('hex')}`;
    const clients = [new Redis(REDIS_URL), new Redis(REDIS_URL)];
    const [a, b] = clients.map((client) => new RedisRateLimiter({ client, prefix }));
    return {
      a: a!,
      b: b!,
      async close() {
        const keys = await clients[0]!.keys(`${prefix}:*`);
        if (keys.length > 0) await clients[0]!.del(...keys);
        await Promise.all(clients.map((client) => client.quit()));
      },
    };
  },
};

const postgres: Backend = {
  name: 'postgres',
  async open() {
    const schema: TestSchema = testSchema('outbox_rl');
    const pools = [0, 1].map(() => new Pool({ connectionString: TEST_DATABASE_URL, max: 10 }));
    const [a, b] = pools.map(
      (pool) => new PostgresRateLimiter({ pool, schema: schema.name, ownsPool: true }),
    );
    return {
      a: a!,
      b: b!,
      async close() {
        await Promise.all([a!.close(), b!.close()]);
        await schema.drop();
      },
    };
  },
};

/**
 * Windows no pause of a busy machine can outrun: a slot taken in one is still taken whenever the
 * test looks again.
 */
const LONG_WINDOW_MS = 60_000;
/** The stores stamp whole milliseconds of the clock `Date.now()` reads: a rounding's worth. */
const ROUNDING_MS = 2;

/** One acquire and the local time around it: the store stamped it between `before` and `after`. */
interface Attempt {
  before: number;
  after: number;
  wait: number;
}

/**
 * An acquire, and when granted an attempt over at once (settled): a grant holds its slot until its
 * attempt is over, and counts a window from then.
 */
async function timedAcquire(
  limiter: SharedRateLimiter,
  key: string,
  limit: number,
  windowMs: number,
): Promise<Attempt> {
  const before = Date.now();
  const wait = await limiter.acquire(key, limit, windowMs);
  if (wait === 0) await limiter.settle!(key, windowMs);
  return { before, after: Date.now(), wait };
}

/** A grant whose attempt is over at once. */
async function grant(limiter: SharedRateLimiter, key: string, limit: number, windowMs: number) {
  return (await timedAcquire(limiter, key, limit, windowMs)).wait;
}

/** Acquires until granted, sleeping the waits it is told; every attempt goes into `attempts`. */
async function acquireWhenFree(
  limiter: SharedRateLimiter,
  key: string,
  limit: number,
  windowMs: number,
  attempts: Attempt[],
): Promise<void> {
  for (;;) {
    const attempt = await timedAcquire(limiter, key, limit, windowMs);
    attempts.push(attempt);
    if (attempt.wait === 0) return;
    await sleep(attempt.wait);
  }
}

/**
 * The wait of the first refusal of a window the caller filled. A pause longer than the window
 * lets an acquire through instead, which fills it again: refused at the next one.
 */
async function refusedWait(
  limiter: SharedRateLimiter,
  key: string,
  limit: number,
  windowMs: number,
): Promise<number> {
  for (;;) {
    const wait = await limiter.acquire(key, limit, windowMs);
    if (wait > 0) return wait;
    // A busy machine let the window pass first: that grant is an attempt that ended at once, not
    // one that holds its slot until the end of the test.
    await limiter.settle?.(key, windowMs);
  }
}

describe.each([redis, postgres])('Shared rate limiter ($name)', (backend) => {
  let a: SharedRateLimiter;
  let b: SharedRateLimiter;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ a, b, close } = await backend.open());
  });
  afterAll(async () => {
    await close?.();
  });

  const key = () => `tenant-${randomBytes(4).toString('hex')}:mailbox@example.com`;

  it('grants exactly `limit` of many concurrent acquirers on two instances, and tells the rest to wait', async () => {
    const k = key();
    const start = Date.now();
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).acquire(k, 7, LONG_WINDOW_MS)),
    );
    const end = Date.now();
    expect(results.filter((wait) => wait === 0)).toHaveLength(7);
    for (const wait of results.filter((w) => w !== 0)) {
      // Until the oldest grant leaves, and it was given after `start`.
      expect(wait).toBeGreaterThanOrEqual(LONG_WINDOW_MS - (end - start) - ROUNDING_MS);
      expect(wait).toBeLessThanOrEqual(LONG_WINDOW_MS);
    }
  });

  it('never lets more than `limit` grants into any window across two instances under load, and refuses only a full one', async () => {
    const k = key();
    const limit = 5;
    const windowMs = 400;
    const attempts: Attempt[] = [];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        acquireWhenFree(i % 2 ? a : b, k, limit, windowMs, attempts),
      ),
    );
    const grants = attempts.filter((attempt) => attempt.wait === 0);
    expect(grants).toHaveLength(20);
    // The server stamps a grant between `before` and `after`: grant i and grant i + limit must be a
    // window apart, so `after` of the later one is at least a window past `before` of the earlier.
    // A busy machine only widens these bounds.
    const before = grants.map((g) => g.before).sort((x, y) => x - y);
    const after = grants.map((g) => g.after).sort((x, y) => x - y);
    for (let i = 0; i + limit < grants.length; i++) {
      expect(after[i + limit]! - before[i]!).toBeGreaterThanOrEqual(windowMs - ROUNDING_MS);
    }
    expect(after.at(-1)! - before[0]!).toBeGreaterThanOrEqual(3 * windowMs - ROUNDING_MS);
    // No time lost either: a refusal came while `limit` grants could be in the window, and told
    // to wait no longer than until the oldest of the latest `limit` grants before it leaves.
    for (const refusal of attempts.filter((attempt) => attempt.wait > 0)) {
      expect(refusal.wait).toBeLessThanOrEqual(windowMs);
      const earlier = grants.filter((g) => g.before <= refusal.after + ROUNDING_MS);
      const inWindow = earlier.filter((g) => g.after > refusal.before - windowMs - ROUNDING_MS);
      expect(inWindow.length).toBeGreaterThanOrEqual(limit);
      const oldest = earlier.map((g) => g.after).sort((x, y) => y - x)[limit - 1]!;
      expect(refusal.wait).toBeLessThanOrEqual(
        Math.max(1, oldest + windowMs - refusal.before) + ROUNDING_MS,
      );
    }
  });

  it('tells how long to wait, counted from the oldest grant in the window', async () => {
    const k = key();
    const oldest = await timedAcquire(a, k, 3, LONG_WINDOW_MS);
    expect(oldest.wait).toBe(0);
    // Older than the other two by more than any rounding: the wait shows which one it counts from.
    await sleep(200);
    for (let i = 0; i < 2; i++) expect(await grant(a, k, 3, LONG_WINDOW_MS)).toBe(0);
    const refused = await timedAcquire(b, k, 3, LONG_WINDOW_MS);
    expect(refused.wait).toBeGreaterThanOrEqual(
      oldest.before + LONG_WINDOW_MS - refused.after - ROUNDING_MS,
    );
    expect(refused.wait).toBeLessThanOrEqual(
      oldest.after + LONG_WINDOW_MS - refused.before + ROUNDING_MS,
    );
  });

  it('grants a slot once the wait it told has passed', async () => {
    const k = key();
    const windowMs = 1000;
    for (let i = 0; i < 3; i++) expect(await grant(a, k, 3, windowMs)).toBe(0);
    const wait = await refusedWait(b, k, 3, windowMs);
    expect(wait).toBeLessThanOrEqual(windowMs);
    await sleep(wait);
    expect(await b.acquire(k, 3, windowMs)).toBe(0);
  });

  it('holds the slot of a grant whose attempt is not over, however long it takes, and counts it from its end', async () => {
    const k = key();
    const windowMs = 200;
    expect(await a.acquire(k, 1, windowMs)).toBe(0);
    // Refused, and told to ask again within a window: the attempt's end is not known yet.
    const first = await b.acquire(k, 1, windowMs);
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThanOrEqual(windowMs);
    // Well past the window of the grant: the attempt still runs, so the slot is still taken.
    await sleep(3 * windowMs);
    expect(await b.acquire(k, 1, windowMs)).toBeGreaterThan(0);
    expect(await b.used!(k, windowMs)).toBe(1);
    await a.settle!(k, windowMs);
    const wait = await refusedWait(b, k, 1, windowMs);
    await sleep(wait);
    expect(await b.acquire(k, 1, windowMs)).toBe(0);
  });

  it('counts a settled slot from the end of its attempt, so a slow first send cannot squeeze the next window', async () => {
    const k = key();
    expect(await a.acquire(k, 1, LONG_WINDOW_MS)).toBe(0);
    await sleep(300); // the attempt: TLS, a token, the message
    const settleBefore = Date.now();
    await a.settle!(k, LONG_WINDOW_MS);
    const settleAfter = Date.now();
    const refused = await timedAcquire(b, k, 1, LONG_WINDOW_MS);
    // Counted from the grant, the wait would be at least the attempt's 300 ms shorter.
    expect(refused.wait).toBeGreaterThanOrEqual(
      settleBefore + LONG_WINDOW_MS - refused.after - ROUNDING_MS,
    );
    expect(refused.wait).toBeLessThanOrEqual(
      settleAfter + LONG_WINDOW_MS - refused.before + ROUNDING_MS,
    );
    // Settling what this instance never granted changes nothing.
    await b.settle!(k, LONG_WINDOW_MS);
    expect(await a.used!(k, LONG_WINDOW_MS)).toBe(1);
  });

  it('frees a settled slot once the wait it told has passed', async () => {
    const k = key();
    const windowMs = 1000;
    expect(await a.acquire(k, 1, windowMs)).toBe(0);
    await a.settle!(k, windowMs);
    const wait = await refusedWait(b, k, 1, windowMs);
    expect(wait).toBeLessThanOrEqual(windowMs);
    await sleep(wait);
    expect(await b.acquire(k, 1, windowMs)).toBe(0);
  });

  it('books each refused caller with a ticket window / limit after the one before, on either instance', async () => {
    const k = key();
    const [limit, windowMs] = [2, LONG_WINDOW_MS];
    for (const ticket of ['g1', 'g2']) expect(await a.acquire(k, limit, windowMs, ticket)).toBe(0);
    // The store's time moves by at most what passes here between two bookings.
    const booked: Attempt[] = [];
    for (const [i, ticket] of ['c', 'd', 'e', 'f'].entries()) {
      const before = Date.now();
      const wait = await (i % 2 ? b : a).acquire(k, limit, windowMs, ticket);
      booked.push({ before, after: Date.now(), wait });
    }
    for (const [i, next] of booked.slice(1).entries()) {
      const previous = booked[i]!;
      const elapsed = next.after - previous.before;
      // Absolute slots (store time + wait) spaced by window / limit, whatever the calls took.
      expect(next.wait + elapsed).toBeGreaterThanOrEqual(
        previous.wait + windowMs / limit - ROUNDING_MS,
      );
      expect(next.wait).toBeLessThanOrEqual(previous.wait + windowMs / limit + ROUNDING_MS);
    }
  });

  it('grants a booked caller that comes back at its time ahead of one that was never booked', async () => {
    const k = key();
    // The booking holds the slot for one spacing (a window, at limit 1) past its time: long enough
    // that a busy machine's late wake-up from the sleep below still falls within it.
    const windowMs = 2_000;
    expect(await a.acquire(k, 1, windowMs, 'first')).toBe(0);
    await a.settle!(k, windowMs);
    const wait = await b.acquire(k, 1, windowMs, 'booked');
    expect(wait).toBeGreaterThan(0);
    await sleep(wait);
    // The window has room now, but the slot is the booked caller's: a newcomer is booked after it.
    expect(await a.acquire(k, 1, windowMs, 'newcomer')).toBeGreaterThan(0);
    expect(await b.acquire(k, 1, windowMs, 'booked')).toBe(0);
  });

  it('books a message in advance: now while the window has room, then window / limit apart, and grants each ticket at its time', async () => {
    const k = key();
    const [limit, windowMs] = [2, LONG_WINDOW_MS];
    const spacing = windowMs / limit;
    const before = Date.now();
    expect(await a.book!(k, limit, windowMs, 'n1')).toBe(0);
    const second = await b.book!(k, limit, windowMs, 'n2');
    const third = await a.book!(k, limit, windowMs, 'n3');
    const elapsed = Date.now() - before;
    // Absolute slots (store time + wait) spaced by window / limit, whatever the calls took.
    expect(second).toBeGreaterThanOrEqual(spacing - elapsed - ROUNDING_MS);
    expect(second).toBeLessThanOrEqual(spacing + ROUNDING_MS);
    expect(third).toBeGreaterThanOrEqual(2 * spacing - elapsed - ROUNDING_MS);
    expect(third).toBeLessThanOrEqual(2 * spacing + ROUNDING_MS);
    // Booking took no slot: the first ticket is granted now, and its grant is the window's one.
    expect(await a.used!(k, windowMs)).toBe(0);
    expect(await b.acquire(k, limit, windowMs, 'n1')).toBe(0);
    expect(await a.used!(k, windowMs)).toBe(1);
    // A caller refused now is booked after the three.
    expect(await a.acquire(k, limit, windowMs, 'late')).toBeGreaterThanOrEqual(
      3 * spacing - (Date.now() - before) - ROUNDING_MS,
    );
  });

  it('grants a ticket booked in advance once its time comes, ahead of a newcomer', async () => {
    const k = key();
    const windowMs = 2_000;
    expect(await a.book!(k, 1, windowMs, 'now')).toBe(0);
    const wait = await b.book!(k, 1, windowMs, 'later');
    expect(wait).toBeGreaterThan(0);
    expect(await a.acquire(k, 1, windowMs, 'now')).toBe(0);
    await a.settle!(k, windowMs);
    await sleep(wait);
    expect(await a.acquire(k, 1, windowMs, 'newcomer')).toBeGreaterThan(0);
    // Granted once the window has room: up to a window after its booked time on a busy machine.
    await until(
      async () => (await b.acquire(k, 1, windowMs, 'later')) === 0,
      'the booked ticket granted',
      4 * windowMs,
    );
  });

  it('keeps keys apart: a full mailbox does not hold up another one', async () => {
    const full = key();
    const other = key();
    expect(await a.acquire(full, 1, LONG_WINDOW_MS)).toBe(0);
    expect(await b.acquire(full, 1, LONG_WINDOW_MS)).toBeGreaterThan(0);
    expect(await b.acquire(other, 1, LONG_WINDOW_MS)).toBe(0);
  });

  it('counts the slots the current window holds, on either instance', async () => {
    const k = key();
    expect(await a.used!(k, LONG_WINDOW_MS)).toBe(0);
    await a.acquire(k, 10, LONG_WINDOW_MS);
    await b.acquire(k, 10, LONG_WINDOW_MS);
    expect(await a.used!(k, LONG_WINDOW_MS)).toBe(2);
    expect(await b.used!(k, LONG_WINDOW_MS)).toBe(2);
  });

  it('refuses a limit or a window that no slot could satisfy', async () => {
    await expect(a.acquire(key(), 0, 1000)).rejects.toThrow('rate limit must be a whole number');
    await expect(a.acquire(key(), 1, 0)).rejects.toThrow('rate limit window must be a positive');
  });
});

describe.each(OUTBOX_BACKENDS)('A burst over the relay’s rateLimit on %s', (backend) => {
  const RATE = { limit: 2, windowMs: 1_000 };
  const BURST = 20;
  let place: OutboxPlace | undefined;
  let relay: SmtpPeer | undefined;
  let app: SettingsApp | undefined;
  afterAll(async () => {
    await app?.app.close();
    await relay?.close();
    await place?.drop();
  });

  it('is booked its slots as it is enqueued: its jobs go in asleep until them, window / limit apart', async () => {
    place = outboxPlace(backend, 'relay_book');
    relay = await startSmtpPeer();
    app = await createSettingsApp({
      relay: {
        transport: { host: relay.host, port: relay.port, secure: false, ignoreTLS: true },
        from: 'noreply@vendor.example',
        rateLimit: RATE,
      },
      // No worker: what the queue holds is what the enqueue wrote.
      outbox: place.options({ worker: false }),
    });
    const mailer = app.app.get(MailerService);
    // All at once: the bookings take a moment, the slots they get span 19 spacings.
    await Promise.all(
      Array.from({ length: BURST }, (_, i) =>
        mailer.enqueue({ to: `user${i}@example.com`, text: 'x' }, { tenant: 'burst' }),
      ),
    );
    const jobs = outboxJobs(place);
    try {
      const burst = await jobs.jobsOf('burst');
      expect(burst).toHaveLength(BURST);
      // Without the booking at enqueue, every job would be due at once, for a worker to book.
      const asleep = burst.filter((job) => job.state === 'delayed');
      expect(asleep.length).toBeGreaterThanOrEqual(BURST / 2);
      const spacing = RATE.windowMs / RATE.limit;
      const dues = burst.map((job) => job.dueAt);
      // Each due time is its slot plus the moment between its booking and its job's write: up to
      // a second or two on a busy machine, far less than the 19 spacings.
      expect(Math.max(...dues) - Math.min(...dues)).toBeGreaterThanOrEqual(
        (BURST - 1) * spacing - 2_000,
      );
    } finally {
      await jobs.close();
    }
  });
});

describe.each(OUTBOX_BACKENDS)('The relay’s rateLimit through the outbox on %s', (backend) => {
  // The server sees what the limiter counts only while an attempt (grant to settle) is shorter
  // than the window: long beside any attempt on a busy machine.
  const RATE = { limit: 4, windowMs: 2000 };
  const MESSAGES = 14;
  // The windows the messages need, and a second a message on top for a busy machine.
  const DELIVERY_MS = Math.ceil(MESSAGES / RATE.limit) * RATE.windowMs + MESSAGES * 1000;
  const received: number[] = [];
  let place: OutboxPlace;
  let relay: SmtpPeer;
  const replicas: SettingsApp[] = [];

  beforeAll(async () => {
    place = outboxPlace(backend, 'relay_rate');
    relay = await startSmtpPeer({ onData: () => void received.push(Date.now()) });
    for (let i = 0; i < 2; i++) {
      replicas.push(
        await createSettingsApp({
          relay: {
            transport: { host: relay.host, port: relay.port, secure: false, ignoreTLS: true },
            from: 'noreply@vendor.example',
            rateLimit: RATE,
          },
          outbox: place.options({ concurrency: 4 }),
        }),
      );
    }
  });
  afterAll(async () => {
    await Promise.all(replicas.map((ctx) => ctx.app.close()));
    await relay?.close();
    await place?.drop();
  });

  it(
    `sends no more than ${RATE.limit} messages in any ${RATE.windowMs} ms across two replicas, and none fails`,
    async () => {
      const sentBy = [0, 0];
      const subscriptions = replicas.map((ctx, i) =>
        ctx.app
          .get(MailerService)
          .events$.subscribe((event) => void (event.type === 'sent' && sentBy[i]!++)),
      );
      // Two tenants through the one relay: its budget is the relay's, not each tenant's. With a
      // delay, the workers book the messages as they take them (as they do retried and released
      // ones), so both replicas take some; booked at enqueue, one replica could take them all as
      // they come due one by one (that booking has its own proof above).
      await Promise.all(
        Array.from({ length: MESSAGES }, (_, i) =>
          replicas[i % 2]!.app.get(MailerService).enqueue(
            { to: `user${i}@example.com`, subject: `Relay ${i}`, text: 'x' },
            { tenant: i % 3 === 0 ? 'acme' : 'default', delay: 1 },
          ),
        ),
      );
      const outbox = replicas[0]!.app.get(OutboxService);
      // An entry says sent after its event, and a job whose entry says sent sends nothing more:
      // once every entry says so, the relay has every message it will ever get.
      const sent = async (tenant: string) => (await outbox.summary(tenant)).counts.sent;
      await until(
        async () => (await sent('acme')) + (await sent('default')) === MESSAGES,
        `${MESSAGES} messages sent`,
        DELIVERY_MS,
      );
      subscriptions.forEach((subscription) => subscription.unsubscribe());

      expect(relay.messages).toHaveLength(MESSAGES);
      expect(messageIdCounts(relay.messages).size).toBe(MESSAGES);
      expect(busiestWindow(received, RATE.windowMs)).toBeLessThanOrEqual(RATE.limit);
      // 14 messages at 4 a window: the first and the last arrived three windows apart or more.
      const span = Math.max(...received) - Math.min(...received);
      expect(span).toBeGreaterThanOrEqual((Math.ceil(MESSAGES / RATE.limit) - 1) * RATE.windowMs);
      expect(sentBy[0]! + sentBy[1]!).toBe(MESSAGES);
      expect(Math.min(...sentBy)).toBeGreaterThan(0);
      const summary = await outbox.summary('default');
      expect(summary.counts.failed).toBe(0);
      expect(summary.rateLimit).toMatchObject({ limit: RATE.limit, windowMs: RATE.windowMs });
    },
    DELIVERY_MS + 10_000,
  );
});
