import {
  MailerService,
  OutboxService,
  OutboxUnavailableError,
  OutboxUncertainError,
} from '../../lib';
import { STORE_TIMEOUT_MS } from '../../lib/outbox/outbox-store-guard';
import {
  busiestWindow,
  listAll,
  OUTBOX_BACKENDS,
  outboxPlace,
  TEST_REDIS_URL,
  until,
} from '../fixtures/outbox-kit';
import { CuttingProxy } from '../fixtures/cutting-proxy';
import { TEST_DATABASE_URL } from '../fixtures/postgres';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';

const RATE = { limit: 3, windowMs: 400 };
const LIMITED = 9;
// Budgets, 5–10 times what a quiet 2-core machine needs, so that only a hang fails the proof.
/** One message enqueued and delivered, the first through a new connection: under a second. */
const MESSAGE_MS = 10_000;
/** Each further message: tens of ms, and a window of the rate limit for every third. */
const PER_MESSAGE_MS = 500 + RATE.windowMs;
/**
 * The connections back once the store is (ioredis retries within 2 s, pg connects on demand); an
 * enqueue tried meanwhile may wait out the store guard's timeout before it is refused.
 */
const RECONNECT_MS = 2 * STORE_TIMEOUT_MS;
/** Two messages delivered, and between them an enqueue refused (within the guard's timeout). */
const OUTAGE_TEST_MS = 2 * MESSAGE_MS + STORE_TIMEOUT_MS + RECONNECT_MS;
const LIMITED_MS = LIMITED * PER_MESSAGE_MS;

function viaProxy(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.hostname = '127.0.0.1';
  parsed.port = String(port);
  return parsed.toString();
}

describe.each(OUTBOX_BACKENDS)('The outbox on %s when its store goes away', (backend) => {
  const place = outboxPlace(backend, 'storeout');
  const target = new URL(backend === 'redis' ? TEST_REDIS_URL : TEST_DATABASE_URL);
  const proxy = new CuttingProxy({ host: target.hostname, port: Number(target.port) });
  let peer: SmtpPeer;
  let ctx: SettingsApp | undefined;
  const arrivals: number[] = [];

  beforeAll(async () => {
    await proxy.start();
    peer = await startSmtpPeer({ onData: () => void arrivals.push(Date.now()) });
    ctx = await createSettingsApp({
      relay: {
        transport: `smtp://${peer.host}:${peer.port}`,
        from: 'relay@vendor.example.com',
        rateLimit: RATE,
      },
      retry: { attempts: 1 },
      outbox: {
        ...place.options(),
        connection: viaProxy(place.connection, proxy.port),
        alerts: { oldestWaitingMs: 150 },
      },
    });
  });

  afterAll(async () => {
    await ctx?.app.close();
    await proxy.stop();
    await peer?.close();
    await place.drop();
  });

  it(
    'rejects enqueue with OUTBOX_UNAVAILABLE (503) while the store is down, never a silent drop, and queues again once it is back',
    async () => {
      const mailer = ctx!.app.get(MailerService);
      const outbox = ctx!.app.get(OutboxService);
      const before = await mailer.enqueue({
        to: 'before@example.com',
        subject: 'Before',
        text: 'x',
      });
      await until(async () => (await outbox.get(before.id))?.status === 'sent', 'sent', MESSAGE_MS);

      await proxy.stop();
      // Refused, not left waiting: were it never answered, the test's own timeout would fail it.
      // A write racing the cut may have been sent before the client saw the connection go: that
      // one is uncertain (and may land once the store is back); once the client knows the store
      // is gone, nothing is sent, and the answer is that nothing was queued.
      const unavailable: string[] = [];
      for (let i = 0; unavailable.length === 0; i++) {
        const subject = `During ${i}`;
        const refused = await mailer.enqueue({ to: 'during@example.com', subject, text: 'x' }).then(
          () => undefined,
          (error: unknown) => error,
        );
        expect([OutboxUnavailableError, OutboxUncertainError]).toContain(
          (refused as object | undefined)?.constructor,
        );
        expect(String((refused as Error).message)).not.toMatch(
          /127\.0\.0\.1:\d+\/|postgres:\/\/|redis:\/\//,
        );
        if (refused instanceof OutboxUnavailableError) {
          expect(refused).toMatchObject({ code: 'OUTBOX_UNAVAILABLE' });
          unavailable.push(subject);
        }
      }

      await proxy.start();
      await until(
        async () =>
          mailer.enqueue({ to: 'after@example.com', subject: 'After', text: 'x' }).then(
            () => true,
            () => false,
          ),
        'an enqueue once the store is back',
        RECONNECT_MS,
      );
      await until(
        async () => peer.messages.some((m) => m.headers.subject === 'After'),
        'After',
        MESSAGE_MS,
      );
      // What was answered 'nothing was queued' was not.
      for (const subject of unavailable) {
        expect(peer.messages.filter((m) => m.headers.subject === subject)).toHaveLength(0);
        expect((await listAll(outbox, 'default')).map((e) => e.subject)).not.toContain(subject);
      }
    },
    OUTAGE_TEST_MS,
  );

  it(
    'keeps the relay’s rateLimit across the worker, and raises a backlog alert while messages wait',
    async () => {
      const mailer = ctx!.app.get(MailerService);
      const outbox = ctx!.app.get(OutboxService);
      const alerts: string[] = [];
      // A tenant of its own: the outage above may have left `default` backlogged in this process
      // (one alert per episode), until a check happens to run with its queue empty.
      const tenant = 'limited';
      const subscription = outbox.alerts$.subscribe(
        (alert) => alert.tenant === tenant && alerts.push(alert.type),
      );
      const from = arrivals.length;
      try {
        for (let i = 0; i < LIMITED; i++) {
          const message = { to: `r${i}@example.com`, subject: `Limited ${i}`, text: 'x' };
          await mailer.enqueue(message, { tenant });
        }
        await until(() => arrivals.length - from >= LIMITED, 'nine messages', LIMITED_MS);
      } finally {
        subscription.unsubscribe();
      }
      const times = arrivals.slice(from);
      // Three per 400 ms, counted when granted; arrivals lag grants by the send, which varies, so
      // the check leaves it 200 ms. Without the limit all nine would arrive within a few ms. A slow
      // machine only spaces them further.
      expect(busiestWindow(times, 200)).toBeLessThanOrEqual(RATE.limit);
      expect(times[8]! - times[0]!).toBeGreaterThanOrEqual(700);
      expect((await outbox.summary(tenant)).rateLimit).toMatchObject(RATE);
      expect(alerts).toContain('backlog');
    },
    MESSAGE_MS + LIMITED_MS,
  );
});
