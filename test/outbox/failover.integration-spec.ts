import { randomBytes } from 'node:crypto';
import { firstValueFrom } from 'rxjs';
import { filter } from 'rxjs/operators';
import request from 'supertest';
import {
  InMemorySmtpSettingsStore,
  MailerService,
  OutboxService,
  SmtpSettingsService,
  type SendLogEntry,
} from '../../lib';
import { ADMIN_TOKEN } from '../fixtures/admin.guard';
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

  /** A tenant with main settings and, unless `backupPassword` is null, a backup. */
  async function tenant(mainPassword: string, backupPassword: string | null) {
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
      tenant: () => 'acme',
      outbox: place.options({ concurrency: 2, holdRecheckMs: 10 * TEST_MS }),
    });
    apps.push(ctx);
    const settings = ctx.app.get(SmtpSettingsService);
    await settings.update(basicSettingsFor(main!, mainPassword), { tenant: 'acme' });
    if (backupPassword !== null) {
      await settings.updateBackup(basicSettingsFor(backup!, backupPassword), { tenant: 'acme' });
    }
    return { ctx, main: main!, backup: backup!, settings, outbox: ctx.app.get(OutboxService) };
  }

  /** The tenant's send log as the REST route answers it. */
  async function messagesOf(ctx: SettingsApp): Promise<SendLogEntry[]> {
    const res = await request(ctx.app.getHttpServer())
      .get('/smtp-settings/messages')
      .set('Authorization', `Bearer ${ADMIN_TOKEN}`);
    expect(res.status).toBe(200);
    return (res.body as { items: SendLogEntry[] }).items;
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
      const entries = await messagesOf(ctx);
      expect(entries.map((e) => [e.status, e.connection])).toEqual(
        Array.from({ length: MESSAGES }, () => ['sent', 'backup']),
      );
    },
    TEST_MS,
  );

  it(
    'logs which connection took each message: main while it takes mail, nothing before it is sent',
    async () => {
      const { ctx, main, backup, outbox } = await tenant('right-password', 'right-password');
      await enqueue(ctx);
      await until(
        async () => (await outbox.summary('acme')).counts.sent === MESSAGES,
        'every message logged sent',
        TEST_MS / 2,
      );
      const entries = await messagesOf(ctx);
      // Each entry names the server that has it: main, unless a machine so busy that main missed
      // an attempt's deadline sent one through the backup (which the test before this one proves).
      const holder = (messageId: string) =>
        main.messages.some((m) => m.headers.messageId === messageId)
          ? 'main'
          : backup.messages.some((m) => m.headers.messageId === messageId)
            ? 'backup'
            : 'nowhere';
      expect(entries.map((e) => [e.status, e.connection])).toEqual(
        entries.map((e) => ['sent', holder(e.messageId)]),
      );
      expect(main.messages.length + backup.messages.length).toBe(MESSAGES);
      // Before a message is sent, the route answers the field, null.
      const queued = await ctx.app
        .get(MailerService)
        .enqueue({ to: 'later@example.com', text: 'x' }, { tenant: 'acme', delay: TEST_MS });
      const res = await request(ctx.app.getHttpServer())
        .get(`/smtp-settings/messages/${queued.id}`)
        .set('Authorization', `Bearer ${ADMIN_TOKEN}`);
      expect(res.body).toMatchObject({ status: 'queued', connection: null });
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
      expect((await messagesOf(ctx)).every((e) => e.connection === null)).toBe(true);
    },
    TEST_MS,
  );

  it(
    'sends held mail through a backup saved after it was held, without waiting for the recheck',
    async () => {
      const { ctx, main, backup, settings, outbox } = await tenant('wrong-password', null);
      await enqueue(ctx);
      await until(
        async () => (await outbox.summary('acme')).counts.held === MESSAGES,
        'every message held',
        TEST_MS / 2,
      );
      // The recheck is 10 minutes away: only the save can release the mail within the test.
      await settings.updateBackup(basicSettingsFor(backup, 'right-password'), { tenant: 'acme' });
      await backup.waitForMessages(MESSAGES, TEST_MS / 2);
      await until(
        async () => (await outbox.summary('acme')).counts.sent === MESSAGES,
        'every message logged sent',
        TEST_MS / 2,
      );
      expect(main.messages).toHaveLength(0);
      expect((await messagesOf(ctx)).every((e) => e.connection === 'backup')).toBe(true);
    },
    TEST_MS,
  );
});
