import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { Pool } from 'pg';
import { PostgresRateLimiter } from '../lib/outbox/postgres-rate-limiter';
import { RedisRateLimiter } from '../lib/outbox/redis-rate-limiter';
import type { SharedRateLimiter } from '../lib/outbox/shared-rate-limiter.interface';
import { MailerService, OutboxService } from '../lib';
import {
  busiestWindow,
  messageIdCounts,
  OUTBOX_BACKENDS,
  outboxPlace,
  type OutboxPlace,
} from './fixtures/outbox-kit';
import { TEST_DATABASE_URL, testSchema, type TestSchema } from './fixtures/postgres';
import { createSettingsApp, type SettingsApp } from './fixtures/settings-app';
import { startSmtpPeer, type SmtpPeer } from './fixtures/smtp-peer';

import { TEST_REDIS_URL as REDIS_URL } from './fixtures/outbox-kit';

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

/** Acquires until granted, sleeping the waits it is told; the grant's bounds in local time. */
async function acquireWhenFree(
  limiter: SharedRateLimiter,
  key: string,
  limit: number,
  windowMs: number,
): Promise<{ before: number; after: number }> {
  for (;;) {
    const before = Date.now();
    const wait = await limiter.acquire(key, limit, windowMs);
    if (wait === 0) return { before, after: Date.now() };
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(windowMs);
    await sleep(wait);
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
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).acquire(k, 7, 5_000)),
    );
    expect(results.filter((wait) => wait === 0)).toHaveLength(7);
    for (const wait of results.filter((w) => w !== 0)) {
      expect(wait).toBeGreaterThan(4_000);
      expect(wait).toBeLessThanOrEqual(5_000);
    }
  });

  it('never lets more than `limit` grants into any window across two instances under load', async () => {
    const k = key();
    const limit = 5;
    const windowMs = 400;
    const grants = await Promise.all(
      Array.from({ length: 20 }, (_, i) => acquireWhenFree(i % 2 ? a : b, k, limit, windowMs)),
    );
    // The server stamps a grant between `before` and `after`: grant i and grant i + limit must be a
    // window apart, so `after` of the later one is at least a window past `before` of the earlier.
    const before = grants.map((g) => g.before).sort((x, y) => x - y);
    const after = grants.map((g) => g.after).sort((x, y) => x - y);
    for (let i = 0; i + limit < grants.length; i++) {
      expect(after[i + limit]! - before[i]!).toBeGreaterThanOrEqual(windowMs);
    }
    // 20 grants at 5 per window take at least three windows, and not many more.
    expect(after.at(-1)! - before[0]!).toBeGreaterThanOrEqual(3 * windowMs);
    expect(after.at(-1)! - before[0]!).toBeLessThan(8 * windowMs);
  });

  it('tells how long to wait, accurately: the slot is free once that wait has passed', async () => {
    const k = key();
    const windowMs = 1500;
    const start = Date.now();
    for (let i = 0; i < 3; i++) expect(await a.acquire(k, 3, windowMs)).toBe(0);
    await sleep(200);
    const wait = await b.acquire(k, 3, windowMs);
    const elapsed = Date.now() - start;
    expect(wait).toBeGreaterThanOrEqual(windowMs - elapsed - 5);
    expect(wait).toBeLessThanOrEqual(windowMs - 200 + 5);
    // Just before the wait is over the window is still full; once it is over, a slot is free.
    await sleep(wait - 300);
    expect(await a.acquire(k, 3, windowMs)).toBeGreaterThan(0);
    await sleep(310);
    expect(await b.acquire(k, 3, windowMs)).toBe(0);
  });

  it('counts a settled slot from the end of its attempt, so a slow first send cannot squeeze the next window', async () => {
    const k = key();
    const windowMs = 800;
    expect(await a.acquire(k, 1, windowMs)).toBe(0);
    await sleep(300); // the attempt: TLS, a token, the message
    await a.settle!(k, windowMs);
    await sleep(windowMs - 200); // a window after the grant, but not after the attempt ended
    const wait = await b.acquire(k, 1, windowMs);
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(300);
    await sleep(wait);
    expect(await b.acquire(k, 1, windowMs)).toBe(0);
    // Settling what this instance never granted changes nothing.
    await b.settle!(key(), windowMs);
  });

  it('keeps keys apart: a full mailbox does not hold up another one', async () => {
    const full = key();
    const other = key();
    expect(await a.acquire(full, 1, 10_000)).toBe(0);
    expect(await b.acquire(full, 1, 10_000)).toBeGreaterThan(0);
    expect(await b.acquire(other, 1, 10_000)).toBe(0);
  });

  it('counts the slots the current window holds, on either instance', async () => {
    const k = key();
    expect(await a.used!(k, 10_000)).toBe(0);
    await a.acquire(k, 10, 10_000);
    await b.acquire(k, 10, 10_000);
    expect(await a.used!(k, 10_000)).toBe(2);
    expect(await b.used!(k, 10_000)).toBe(2);
  });

  it('refuses a limit or a window that no slot could satisfy', async () => {
    await expect(a.acquire(key(), 0, 1000)).rejects.toThrow('rate limit must be a whole number');
    await expect(a.acquire(key(), 1, 0)).rejects.toThrow('rate limit window must be a positive');
  });
});

describe.each(OUTBOX_BACKENDS)('The relay’s rateLimit through the outbox on %s', (backend) => {
  const RATE = { limit: 4, windowMs: 1000 };
  const MESSAGES = 14;
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

  it(`sends no more than ${RATE.limit} messages in any ${RATE.windowMs} ms across two replicas, and none fails`, async () => {
    const sentBy = [0, 0];
    const subscriptions = replicas.map((ctx, i) =>
      ctx.app
        .get(MailerService)
        .events$.subscribe((event) => void (event.type === 'sent' && sentBy[i]!++)),
    );
    const started = Date.now();
    // Two tenants through the one relay: its budget is the relay's, not each tenant's.
    await Promise.all(
      Array.from({ length: MESSAGES }, (_, i) =>
        replicas[i % 2]!.app.get(MailerService).enqueue(
          { to: `user${i}@example.com`, subject: `Relay ${i}`, text: 'x' },
          { tenant: i % 3 === 0 ? 'acme' : 'default' },
        ),
      ),
    );
    await relay.waitForMessages(MESSAGES, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    subscriptions.forEach((subscription) => subscription.unsubscribe());

    expect(relay.messages).toHaveLength(MESSAGES);
    expect(messageIdCounts(relay.messages).size).toBe(MESSAGES);
    expect(busiestWindow(received, RATE.windowMs)).toBeLessThanOrEqual(RATE.limit);
    // 14 messages at 4 per second: the fourth window opens 3 s in at the earliest.
    expect(received.at(-1)! - started).toBeGreaterThanOrEqual(3 * RATE.windowMs - 50);
    expect(sentBy[0]! + sentBy[1]!).toBe(MESSAGES);
    expect(Math.min(...sentBy)).toBeGreaterThan(0);
    const outbox = replicas[0]!.app.get(OutboxService);
    const summary = await outbox.summary('default');
    expect(summary.counts.failed).toBe(0);
    expect(summary.rateLimit).toMatchObject({ limit: RATE.limit, windowMs: RATE.windowMs });
  });
});
