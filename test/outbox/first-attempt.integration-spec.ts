import { randomBytes } from 'node:crypto';
import {
  InMemorySmtpSettingsStore,
  MailerService,
  OutboxService,
  SmtpSettingsService,
} from '../../lib';
import { startHostileSmtp, type HostileSmtp } from '../fixtures/hostile-smtp';
import {
  inBatches,
  OUTBOX_BACKENDS,
  outboxPlace,
  until,
  type OutboxPlace,
} from '../fixtures/outbox-kit';
import { basicSettingsFor } from '../fixtures/peer-settings';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';

const SHARE = 2;
const STALLED = 2 * SHARE;
/** Far longer than the test: a stalled attempt ends only when the app shuts down. */
const ATTEMPT_TIMEOUT_MS = 600_000;
// Budgets, 5–10 times what a quiet 2-core machine needs, so that only a hang fails the proof.
const FIXED_MS = 10_000;
const TEST_MS = 4 * FIXED_MS;
/** How long a recipient waits for a second attempt before it is answered alone. */
const PAIR_WAIT_MS = 3_000;

describe.each(OUTBOX_BACKENDS)("A tenant's first attempts, on %s", (backend) => {
  let app: SettingsApp | undefined;
  let place: OutboxPlace | undefined;
  const servers: Array<SmtpPeer | HostileSmtp> = [];

  afterEach(async () => {
    await app?.app.close();
    await Promise.all(servers.map((server) => server.close()));
    await place?.drop();
  });

  it(
    "take one slot until the server has taken a message: two tenants whose servers stall leave a worker of 4 slots free for a third tenant's mail",
    async () => {
      const [one, two] = await Promise.all([startHostileSmtp('stall'), startHostileSmtp('stall')]);
      const good = await startSmtpPeer();
      servers.push(one!, two!, good);
      place = outboxPlace(backend, 'first_attempt');
      app = await createSettingsApp({
        store: new InMemorySmtpSettingsStore(),
        encryptionKey: randomBytes(32).toString('base64'),
        retry: { attempts: 1 },
        attemptTimeoutMs: ATTEMPT_TIMEOUT_MS,
        outbox: place.options({ concurrency: 2 * SHARE, tenantConcurrency: SHARE }),
      });
      const settings = app.app.get(SmtpSettingsService);
      await settings.update(basicSettingsFor(one!, 'any'), { tenant: 'one' });
      await settings.update(basicSettingsFor(two!, 'any'), { tenant: 'two' });
      await settings.update(basicSettingsFor(good, 'any'), { tenant: 'good' });
      const mailer = app.app.get(MailerService);
      const enqueue = (tenant: string, count: number) =>
        inBatches(count, 10, (i) =>
          mailer.enqueue({ to: `${tenant}${i}@example.com`, text: 'x' }, { tenant }),
        );
      await enqueue('one', STALLED);
      await enqueue('two', STALLED);
      await Promise.all([one!.stalled(), two!.stalled()]);
      await enqueue('good', 3);

      // With each stalling tenant's whole share taken, every slot would wait for the deadline.
      await good.waitForMessages(3, FIXED_MS);
      expect(one!.connections).toBe(1);
      expect(two!.connections).toBe(1);
      const summary = await app.app.get(OutboxService).summary('one');
      // A first attempt under way is no wait to show the admin.
      expect(summary.waiting).toBeNull();
      expect(summary.counts.sent).toBe(0);
    },
    TEST_MS,
  );

  it(
    "open the tenant's whole share once its server has answered, even with a refusal: a server that refuses recipients is no server that stalls",
    async () => {
      // Recipients wait at RCPT until two attempts are there at once (or a while, if they never
      // are), then are refused: the most at once is what the tenant's share let through.
      const waiting = new Set<() => void>();
      let most = 0;
      const refuser = await startSmtpPeer({
        onRcptTo: async () => {
          await new Promise<void>((resolve) => {
            const go = () => {
              waiting.delete(go);
              resolve();
            };
            waiting.add(go);
            most = Math.max(most, waiting.size);
            if (waiting.size >= SHARE) [...waiting].forEach((each) => each());
            setTimeout(go, PAIR_WAIT_MS);
          });
          return { code: 550, message: '5.1.1 No such user' };
        },
      });
      servers.push(refuser);
      place = outboxPlace(backend, 'first_answer');
      app = await createSettingsApp({
        store: new InMemorySmtpSettingsStore(),
        encryptionKey: randomBytes(32).toString('base64'),
        retry: { attempts: 1 },
        outbox: place.options({ concurrency: 2 * SHARE, tenantConcurrency: SHARE }),
      });
      await app.app.get(SmtpSettingsService).update(basicSettingsFor(refuser, 'any'), {
        tenant: 'one',
      });
      const mailer = app.app.get(MailerService);
      const outbox = app.app.get(OutboxService);
      const failed = async (count: number) => (await outbox.summary('one')).counts.failed === count;
      await mailer.enqueue({ to: 'first@example.com', text: 'x' }, { tenant: 'one' });
      await until(() => failed(1), 'the first refusal', FIXED_MS + PAIR_WAIT_MS);
      await inBatches(2 * SHARE, 10, (i) =>
        mailer.enqueue({ to: `then${i}@example.com`, text: 'x' }, { tenant: 'one' }),
      );
      await until(() => failed(1 + 2 * SHARE), 'every refusal', FIXED_MS + 4 * PAIR_WAIT_MS);
      expect(most).toBe(SHARE);
    },
    TEST_MS,
  );
});
