import { randomBytes } from 'node:crypto';
import { InMemorySmtpSettingsStore, MailerService, SmtpSettingsService } from '../../lib';
import { PARK_SWEEP_MS } from '../../lib/outbox/outbox-requeue';
import { FAST_OUTBOX } from '../fixtures/outbox-kit';
import { basicSettingsFor } from '../fixtures/peer-settings';
import { TEST_DATABASE_URL, testSchema } from '../fixtures/postgres';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';

/** The app started, two messages delivered, and a few sweeps on a busy machine. */
const TEST_MS = 30_000 + 4 * PARK_SWEEP_MS;

/**
 * A parked message sleeps until an attempt of its tenant ends and unparks it. Were that unparking
 * lost (the replica that was to run it stopped, or its statement failed) with no other attempt of
 * the tenant under way, nothing would wake it before its fallback, minutes later: each replica's
 * sweep does, on BullMQ's own PostgreSQL backend.
 */
describe('PostgreSQL outbox: a parked message whose unparking was lost', () => {
  const place = testSchema('t_stranded');
  let app: SettingsApp | undefined;
  let peer: SmtpPeer | undefined;

  afterAll(async () => {
    await app?.app.close();
    await peer?.close();
    await place.drop();
  });

  it(
    'goes at the next sweep, not at its fallback',
    async () => {
      peer = await startSmtpPeer();
      app = await createSettingsApp({
        store: new InMemorySmtpSettingsStore(),
        encryptionKey: randomBytes(32).toString('base64'),
        outbox: {
          backend: 'postgres',
          connection: TEST_DATABASE_URL,
          prefix: place.name,
          ...FAST_OUTBOX,
          tenantConcurrency: 1,
        },
      });
      await app.app.get(SmtpSettingsService).update(basicSettingsFor(peer, 'any'), { tenant: 't' });
      const mailer = app.app.get(MailerService);
      // One message goes: the tenant has its places, and none is taken once it is sent.
      await mailer.enqueue({ to: 'first@example.com', text: 'x' }, { tenant: 't' });
      await peer.waitForMessages(1, TEST_MS / 3);

      // The second sleeps for ten minutes, parked as if behind an attempt that has since ended.
      const { id } = await mailer.enqueue(
        { to: 'second@example.com', text: 'x' },
        { tenant: 't', delay: 600_000 },
      );
      await place.pool.query(
        `INSERT INTO "${place.name}".outbox_parked (tenant, id, parked_at) VALUES ($1, $2, now())`,
        ['t', id],
      );
      await peer.waitForMessages(2, TEST_MS / 2);
      const { rows } = await place.pool.query(
        `SELECT count(*)::int AS n FROM "${place.name}".outbox_parked`,
      );
      expect(rows[0].n).toBe(0);
      expect(peer.messages[1]!.envelope.to).toEqual(['second@example.com']);
    },
    TEST_MS,
  );
});
