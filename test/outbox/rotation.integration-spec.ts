/**
 * A burst of hundreds enqueued by a tenant alone, then a few other tenants' messages, delivered
 * one at a time, on each backend: the first deliveries say who the queue serves first.
 */
import { randomBytes } from 'node:crypto';
import {
  InMemorySmtpSettingsStore,
  MailerService,
  type SmtpSettingsModuleOptions,
} from '../../lib';
import { inBatches, OUTBOX_BACKENDS, outboxPlace } from '../fixtures/outbox-kit';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';

const BURST = 200;
/** A tenant's first messages of a minute that are never ranked (TenantRanks' free ranks). */
const FREE_RANKS = 10;
const OTHERS = { quiet: 1, fifty: 50, third: 1 };
/** The other tenants' messages that must not wait for the burst: one each, and fifty's first 10. */
const FIRST = OTHERS.quiet + FREE_RANKS + OTHERS.third;
/** The first deliveries they must be among: at most the burst's free ranks may come before. */
const SEEN = FIRST + FREE_RANKS;
// Budgets, 5–10 times what a quiet 2-core machine needs, so that only a hang fails the proof.
const ENQUEUE_MS = 10;
/** One attempt at a time, each with its statements or scripts in turn. */
const DELIVERY_MS = 200;
const FIXED_MS = 20_000;
const TEST_MS = FIXED_MS + (BURST + OTHERS.fifty + 2) * ENQUEUE_MS + SEEN * DELIVERY_MS;

describe.each(OUTBOX_BACKENDS)('Rotation between tenants on %s', (backend) => {
  const place = outboxPlace(backend, 'rotation');
  const store = new InMemorySmtpSettingsStore();
  const encryptionKey = randomBytes(32).toString('base64');
  const apps: SettingsApp[] = [];
  let relay: SmtpPeer;

  afterAll(async () => {
    await Promise.all(apps.map((a) => a.app.close()));
    await relay?.close();
    await place.drop();
  });

  const options = (worker: boolean): Partial<SmtpSettingsModuleOptions> => ({
    store,
    encryptionKey,
    relay: { transport: `smtp://${relay.host}:${relay.port}`, from: 'relay@vendor.example.com' },
    // One attempt at a time: the relay receives the messages in the order the queue serves them.
    outbox: place.options({ worker, concurrency: 1, tenantConcurrency: 1 }),
  });

  it(
    "serves a tenant with 1 message, and another's first 10, ahead of a burst of hundreds that a tenant enqueued alone",
    async () => {
      relay = await startSmtpPeer();
      // Only enqueues: the whole queue is in place before the first delivery.
      const producer = await createSettingsApp(options(false));
      apps.push(producer);
      const mailer = producer.app.get(MailerService);
      const enqueue = (tenant: string, count: number) =>
        inBatches(count, 50, (i) =>
          mailer.enqueue(
            { to: `${tenant}${i}@example.com`, subject: `${tenant} ${i}`, text: 'x' },
            { tenant },
          ),
        );
      // Alone in this process's window: the cheapest add, unranked, however many.
      await enqueue('burst', BURST);
      await enqueue('quiet', OTHERS.quiet);
      await enqueue('fifty', OTHERS.fifty);
      await enqueue('third', OTHERS.third);

      apps.push(await createSettingsApp(options(true)));
      await relay.waitForMessages(SEEN, TEST_MS - FIXED_MS);

      const first = relay.messages.slice(0, SEEN).map((m) => m.headers.subject!);
      const of = (tenant: string) => first.filter((s) => s.startsWith(`${tenant} `)).length;
      // Plain FIFO would put them all behind the 200; plain ranks let the burst's free ranks go
      // first. Fifty's messages are counted, not named: they were enqueued 50 at a time.
      expect({ quiet: of('quiet'), third: of('third'), fifty: of('fifty') >= FREE_RANKS }).toEqual({
        quiet: 1,
        third: 1,
        fifty: true,
      });
      expect(new Set(first).size).toBe(SEEN);
    },
    TEST_MS,
  );
});
