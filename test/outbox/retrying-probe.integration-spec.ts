import { randomBytes } from 'node:crypto';
import {
  InMemorySmtpSettingsStore,
  MailerService,
  OutboxService,
  SmtpSettingsService,
} from '../../lib';
import {
  inBatches,
  listAll,
  OUTBOX_BACKENDS,
  outboxPlace,
  until,
  type OutboxPlace,
} from '../fixtures/outbox-kit';
import { basicSettingsFor } from '../fixtures/peer-settings';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';

const MESSAGES = 20;
const SHARE = 2;
const PROBES = 3;
// Budgets, 5–10 times what a quiet 2-core machine needs, so that only a hang fails the proof.
const PER_MESSAGE_MS = 200;
const FIXED_MS = 10_000;
const TEST_MS = 3 * FIXED_MS + 3 * MESSAGES * PER_MESSAGE_MS;

describe.each(OUTBOX_BACKENDS)('A tenant whose server is unavailable, on %s', (backend) => {
  let app: SettingsApp | undefined;
  let peer: SmtpPeer | undefined;
  let place: OutboxPlace | undefined;

  afterEach(async () => {
    await app?.app.close();
    await peer?.close();
    await place?.drop();
  });

  it(
    'is tried by one message at a time with backoff, the others queued without connecting; when the server answers again, they all go, once',
    async () => {
      let available = false;
      // 421: the service is not available now (maintenance, overload), at the first command.
      peer = await startSmtpPeer({
        onMailFrom: () =>
          available ? undefined : { code: 421, message: '4.3.2 Service not available' },
      });
      place = outboxPlace(backend, 'retrying');
      app = await createSettingsApp({
        store: new InMemorySmtpSettingsStore(),
        encryptionKey: randomBytes(32).toString('base64'),
        retry: { attempts: 1 },
        outbox: place.options({
          concurrency: 4,
          tenantConcurrency: SHARE,
          backoff: { baseDelayMs: 50, maxDelayMs: 200 },
        }),
      });
      await app.app.get(SmtpSettingsService).update(basicSettingsFor(peer, 'any'), {
        tenant: 'acme',
      });
      const mailer = app.app.get(MailerService);
      const outbox = app.app.get(OutboxService);
      await inBatches(MESSAGES, 10, (i) =>
        mailer.enqueue({ to: `u${i}@example.com`, text: 'x' }, { tenant: 'acme' }),
      );

      // The probe retries with its backoff; the others never connect.
      await until(
        async () => (await listAll(outbox, 'acme')).some((e) => e.attempts >= PROBES),
        `a message tried ${PROBES} times`,
        FIXED_MS + MESSAGES * PER_MESSAGE_MS,
      );
      const entries = await listAll(outbox, 'acme');
      expect(entries.every((e) => e.status === 'queued' || e.status === 'sending')).toBe(true);
      // Only the attempts in flight before the first refusal, then the probe alone, met the
      // server (each has its refusal). Not `attempts`: a message admitted as the gate closed counts
      // one without connecting (it waits behind the probe), which a loaded machine makes happen.
      expect(entries.filter((e) => e.lastError).length).toBeLessThanOrEqual(SHARE);
      expect((await outbox.summary('acme')).waiting).toMatchObject({
        kind: 'retrying',
        reason: expect.stringMatching(/421.*one message at a time/),
      });

      available = true;
      await peer.waitForMessages(MESSAGES, FIXED_MS + MESSAGES * PER_MESSAGE_MS);
      await until(
        async () => (await outbox.summary('acme')).counts.sent === MESSAGES,
        'every message logged sent',
        FIXED_MS,
      );
      expect(peer.messages).toHaveLength(MESSAGES);
      expect((await outbox.summary('acme')).waiting).toBeNull();
    },
    TEST_MS,
  );
});
