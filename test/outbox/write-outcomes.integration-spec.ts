import { randomUUID } from 'node:crypto';
import {
  MailerService,
  OutboxService,
  OutboxUnavailableError,
  OutboxUncertainError,
  type OutboxOptions,
} from '../../lib';
import { CuttingProxy } from '../fixtures/cutting-proxy';
import { bareMessageId, listAll, outboxPlace, until } from '../fixtures/outbox-kit';
import { TEST_DATABASE_URL } from '../fixtures/postgres';
import { startPrivateRedis, type PrivateRedis } from '../fixtures/private-redis';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';

/** A store that is cut, paused or full answers at once or never: this only bounds a failing test. */
const RECOVERY_MS = 30_000;
const RELAY_FROM = 'relay@vendor.example.com';

/**
 * The enqueue's write and what the caller is told about it: an entry and its job are written
 * together or not at all, `OUTBOX_UNAVAILABLE` only when nothing was written, `OUTBOX_UNCERTAIN`
 * when it may have been, and a retry with the same idempotency key delivers the message once.
 */
describe('What enqueue answers when its store fails mid-write', () => {
  let peer: SmtpPeer;
  const apps: SettingsApp[] = [];

  beforeAll(async () => {
    peer = await startSmtpPeer();
  });
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.app.close()));
    await peer?.close();
  });

  async function app(
    outbox: OutboxOptions,
    rateLimit?: { limit: number; windowMs: number },
  ): Promise<SettingsApp> {
    const ctx = await createSettingsApp({
      relay: {
        transport: `smtp://${peer.host}:${peer.port}`,
        from: RELAY_FROM,
        ...(rateLimit ? { rateLimit } : {}),
      },
      retry: { attempts: 1 },
      outbox,
    });
    apps.push(ctx);
    return ctx;
  }

  /** Retries with the same key until the store answers, then waits for the one delivery. */
  async function retriedUntilDelivered(
    enqueuer: SettingsApp,
    worker: SettingsApp,
    tenant: string,
    key: string,
    subject: string,
    firstId?: string,
  ): Promise<void> {
    const mailer = enqueuer.app.get(MailerService);
    let id: string | undefined;
    await until(
      async () => {
        const result = await mailer
          .enqueue(
            { to: 'a@example.com', subject, text: `Body of ${subject}` },
            { tenant, idempotencyKey: key },
          )
          .catch(() => undefined);
        id = result?.id;
        return result !== undefined;
      },
      'an enqueue once the store answers',
      RECOVERY_MS,
    );
    if (firstId) expect(id).toBe(firstId);
    const outbox = worker.app.get(OutboxService);
    await until(
      async () => (await outbox.get(id!, tenant))?.status === 'sent',
      'sent',
      RECOVERY_MS,
    );
    const entries = await listAll(outbox, tenant);
    expect(entries).toHaveLength(1);
    const arrived = peer.messages.filter(
      (m) => bareMessageId(m.headers.messageId) === bareMessageId(entries[0]!.messageId),
    );
    expect(arrived).toHaveLength(1);
    expect(arrived[0]!.headers.subject).toBe(subject);
  }

  describe.each([
    // ioredis sends command names in lower case.
    ['redis', '$4\r\nexec\r\n'],
    ['postgres', 'add_job'],
  ] as const)('on %s, the connection cut at the write', (backend, marker) => {
    const place = outboxPlace(backend, 'cut');
    let redis: PrivateRedis | undefined;
    let proxy: CuttingProxy;
    let enqueuer: SettingsApp;
    let worker: SettingsApp;

    beforeAll(async () => {
      let direct: OutboxOptions['connection'];
      if (backend === 'redis') {
        redis = await startPrivateRedis();
        proxy = new CuttingProxy({ path: redis.path });
        direct = { path: redis.path };
      } else {
        const target = new URL(TEST_DATABASE_URL);
        proxy = new CuttingProxy({ host: target.hostname, port: Number(target.port || 5432) });
        direct = place.connection;
      }
      await proxy.start();
      const proxied =
        backend === 'redis'
          ? `redis://127.0.0.1:${proxy.port}`
          : Object.assign(new URL(TEST_DATABASE_URL), {
              host: `127.0.0.1:${proxy.port}`,
            }).toString();
      // The enqueuing replica talks through the proxy; the worker, directly.
      enqueuer = await app(place.options({ connection: proxied, worker: false }));
      worker = await app(place.options({ connection: direct }));
      // A first message, so that scripts and tables exist before any cut.
      await retriedUntilDelivered(enqueuer, worker, 'warm-up', backend, `Warm-up ${backend}`);
    });
    afterAll(async () => {
      await Promise.all(apps.splice(0).map((ctx) => ctx.app.close()));
      await proxy?.stop();
      await redis?.stop();
      await place.drop();
    });

    it.each(['before', 'after'] as const)(
      'never answers OUTBOX_UNAVAILABLE when the connection is cut %s the store gets the write (uncertain, or queued once ioredis resent it), and a retry with the same key delivers it once',
      async (when) => {
        const tenant = `cut-${when}`;
        const key = randomUUID();
        const cut = proxy.cutAt(marker, when);
        const first = await enqueuer.app
          .get(MailerService)
          .enqueue(
            { to: 'a@example.com', subject: when, text: `Body of ${when}` },
            { tenant, idempotencyKey: key },
          )
          .catch((error: unknown) => error);
        await cut;
        // PostgreSQL cannot tell whether a statement cut off committed: uncertain. ioredis sends a
        // transaction it got no answer for again once it is reconnected, which makes it queued:
        // the write is idempotent, so either answer is the truth.
        if (backend === 'postgres' || first instanceof Error) {
          expect(first).toBeInstanceOf(OutboxUncertainError);
          expect(first).toMatchObject({
            code: 'OUTBOX_UNCERTAIN',
            id: expect.any(String),
          });
          expect((first as Error).message).toContain('may have been queued');
        } else {
          expect(first).toEqual({ id: expect.any(String), status: 'queued' });
        }
        // Written whole or not at all: never an entry without its job.
        const entries = await listAll(worker.app.get(OutboxService), tenant);
        expect(entries.length).toBeLessThanOrEqual(1);
        await retriedUntilDelivered(
          enqueuer,
          worker,
          tenant,
          key,
          when,
          (first as { id: string }).id,
        );
      },
    );
  });

  describe('on a Redis of its own', () => {
    const place = outboxPlace('redis', 'private');
    let redis: PrivateRedis;
    let proxy: CuttingProxy;
    let ctx: SettingsApp;

    beforeAll(async () => {
      redis = await startPrivateRedis();
      proxy = new CuttingProxy({ path: redis.path });
      await proxy.start();
      ctx = await app(
        place.options({ connection: `redis://127.0.0.1:${proxy.port}`, storeTimeoutMs: 1500 }),
      );
    });
    afterAll(async () => {
      await ctx?.app.close();
      await proxy?.stop();
      await redis?.stop();
    });

    it('answers OUTBOX_UNAVAILABLE and writes neither the entry nor the job when Redis is out of memory, and the same key delivers once memory is back', async () => {
      const tenant = 'full';
      const key = randomUUID();
      await redis.admin.config('SET', 'maxmemory-policy', 'noeviction');
      await redis.admin.config('SET', 'maxmemory', '1');
      const before = await redis.admin.dbsize();
      const refused = await ctx.app
        .get(MailerService)
        .enqueue(
          { to: 'a@example.com', subject: 'Full', text: 'Body of Full' },
          { tenant, idempotencyKey: key },
        )
        .catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(OutboxUnavailableError);
      // Refused when EXEC came (EXECABORT: a command of the transaction was refused for memory).
      expect((refused as Error).message).toMatch(/nothing was queued.*(OOM|EXECABORT)/);
      expect(await redis.admin.dbsize()).toBe(before);
      expect(await listAll(ctx.app.get(OutboxService), tenant)).toEqual([]);
      await redis.admin.config('SET', 'maxmemory', '0');
      await retriedUntilDelivered(ctx, ctx, tenant, key, 'Full');
    });

    it('answers OUTBOX_UNCERTAIN when Redis is paused past storeTimeoutMs, and the same key then delivers it once', async () => {
      const tenant = 'paused';
      const key = randomUUID();
      // Paused when the write comes, after the idempotency key was looked up.
      proxy.onCommand('$4\r\nexec\r\n', () => redis.pause());
      let uncertain: unknown;
      try {
        uncertain = await ctx.app
          .get(MailerService)
          .enqueue(
            { to: 'a@example.com', subject: 'Paused', text: 'Body of Paused' },
            { tenant, idempotencyKey: key },
          )
          .catch((error: unknown) => error);
      } finally {
        redis.resume();
      }
      expect(uncertain).toBeInstanceOf(OutboxUncertainError);
      expect(uncertain).toMatchObject({ code: 'OUTBOX_UNCERTAIN' });
      expect((uncertain as Error).message).toContain('no answer within 1500 ms');
      await retriedUntilDelivered(
        ctx,
        ctx,
        tenant,
        key,
        'Paused',
        (uncertain as OutboxUncertainError).id,
      );
    });

    it('answers OUTBOX_UNAVAILABLE, nothing queued, when Redis is paused as a message over the relay’s limit is booked its slot', async () => {
      const tenant = 'booking';
      // No worker: the booking of the enqueue is the only command on the limiter's keys.
      const limited = await app(
        place.options({
          connection: `redis://127.0.0.1:${proxy.port}`,
          storeTimeoutMs: 1500,
          worker: false,
        }),
        { limit: 2, windowMs: 1000 },
      );
      proxy.onCommand('ratelimit:relay:next', () => redis.pause());
      let refused: unknown;
      try {
        refused = await limited.app
          .get(MailerService)
          .enqueue({ to: 'a@example.com', subject: 'Booking', text: 'x' }, { tenant })
          .catch((error: unknown) => error);
      } finally {
        redis.resume();
      }
      expect(refused).toBeInstanceOf(OutboxUnavailableError);
      expect((refused as Error).message).toMatch(
        /nothing was queued.*rate-limit slot could not be booked.*1500 ms/,
      );
      expect(await listAll(limited.app.get(OutboxService), tenant)).toEqual([]);
    });
  });
});
