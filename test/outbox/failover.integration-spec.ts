import { randomBytes } from 'node:crypto';
import { firstValueFrom } from 'rxjs';
import { filter } from 'rxjs/operators';
import {
  InMemorySmtpSettingsStore,
  MailerService,
  OutboxService,
  SmtpSettingsService,
} from '../../lib';
import { OUTBOX_BACKENDS, outboxPlace, until, type OutboxPlace } from '../fixtures/outbox-kit';
import { basicSettingsFor } from '../fixtures/peer-settings';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';

const MESSAGES = 5;
const TEST_MS = 60_000;

/**
 * The outbox sends through the live transport, so a tenant's backup connection takes what its main
 * connection refuses (issue 23): the outbox's alerts say so, and mail is held only when both refuse.
 */
describe.each(OUTBOX_BACKENDS)('The outbox on %s with a backup connection', (backend) => {
  const apps: SettingsApp[] = [];
  const peers: SmtpPeer[] = [];
  const places: OutboxPlace[] = [];

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.app.close()));
    await Promise.all(peers.splice(0).map((p) => p.close()));
    await Promise.all(places.splice(0).map((p) => p.drop()));
  });

  async function tenant(mainPassword: string, backupPassword: string) {
    const [main, backup] = await Promise.all([
      startSmtpPeer({ users: { mailer: 'right-password' } }),
      startSmtpPeer({ users: { mailer: 'right-password' } }),
    ]);
    peers.push(main!, backup!);
    const place = outboxPlace(backend, 'failover');
    places.push(place);
    const ctx = await createSettingsApp({
      store: new InMemorySmtpSettingsStore(),
      encryptionKey: randomBytes(32).toString('base64'),
      retry: { attempts: 1 },
      outbox: place.options({ concurrency: 2, holdRecheckMs: 10 * TEST_MS }),
    });
    apps.push(ctx);
    const settings = ctx.app.get(SmtpSettingsService);
    await settings.update(basicSettingsFor(main!, mainPassword), { tenant: 'acme' });
    await settings.updateBackup(basicSettingsFor(backup!, backupPassword), { tenant: 'acme' });
    return { ctx, main: main!, backup: backup!, outbox: ctx.app.get(OutboxService) };
  }

  const enqueue = (ctx: SettingsApp) =>
    Promise.all(
      Array.from({ length: MESSAGES }, (_, i) =>
        ctx.app
          .get(MailerService)
          .enqueue({ to: `u${i}@example.com`, text: 'x' }, { tenant: 'acme' }),
      ),
    );

  it(
    'sends what the main connection refuses through the backup, and the outbox alerts failover',
    async () => {
      const { ctx, main, backup, outbox } = await tenant('wrong-password', 'right-password');
      const failover = firstValueFrom(outbox.alerts$.pipe(filter((a) => a.type === 'failover')));
      await enqueue(ctx);
      await backup.waitForMessages(MESSAGES, TEST_MS / 2);
      await expect(failover).resolves.toMatchObject({ type: 'failover', tenant: 'acme' });
      expect(main.messages).toHaveLength(0);
      await until(
        async () => (await outbox.summary('acme')).counts.sent === MESSAGES,
        'every message logged sent',
        TEST_MS / 2,
      );
      expect((await outbox.summary('acme')).counts.held).toBe(0);
    },
    TEST_MS,
  );

  it(
    'holds the mail when both connections refuse the sign-in',
    async () => {
      const { ctx, main, backup, outbox } = await tenant('wrong-password', 'wrong-password');
      await enqueue(ctx);
      await until(
        async () => (await outbox.summary('acme')).counts.held === MESSAGES,
        'every message held',
        TEST_MS / 2,
      );
      expect(main.messages).toHaveLength(0);
      expect(backup.messages).toHaveLength(0);
    },
    TEST_MS,
  );
});
