import type { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { MailerService, OutboxService, SmtpSettingsService, type OutboxAlert } from '../../lib';
import { ADMIN_TOKEN } from '../fixtures/admin.guard';
import { FakeEntraId, type FakeApp } from '../fixtures/fake-entra-id';
import {
  bareMessageId,
  busiestWindow,
  listAll,
  messageIdCounts,
  OUTBOX_BACKENDS,
  outboxPlace,
  until,
  type OutboxPlace,
} from '../fixtures/outbox-kit';
import { outboxJobs, type OutboxJobs } from '../fixtures/outbox-jobs';
import { testSchema, type TestSchema } from '../fixtures/postgres';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';
import { CapturingLogger, createTenantApp } from '../fixtures/tenant-app';
import {
  ACME,
  basicOf,
  clientOf,
  closeTenantServers,
  GLOBEX,
  moduleOptions,
  postgresStore,
  startTenantServers,
  TOKEN,
  type TenantServers,
} from '../fixtures/tenant-isolation-kit';

const HELD = 30;
const WRONG_PASSWORD = 'expired-P4ss-0000!';
// Budgets, 5–10 times what a quiet 2-core machine needs, so that only a hang fails the proof.
/** A message enqueued and delivered (or held): tens of ms. */
const PER_MESSAGE_MS = 250;
/** The apps' calls around the messages, a first connection, a replica following a save. */
const FIXED_MS = 10_000;
/** The held-messages proof: B's and A's messages enqueued, B's sent, A's held, then sent. */
const HELD_TEST_MS = FIXED_MS + 8 * HELD * PER_MESSAGE_MS;

describe.each(OUTBOX_BACKENDS)('Two replicas sharing the outbox on %s', (backend) => {
  describe("a tenant's wrong password", () => {
    const logger = new CapturingLogger();
    const place = outboxPlace(backend, 'replicas_held');
    const settings = testSchema('smtp_outbox_replicas');
    const encryptionKey = randomBytes(32).toString('base64');
    const alerts: OutboxAlert[] = [];
    const replicas: INestApplication[] = [];
    let servers: TenantServers;
    let jobs: OutboxJobs | undefined;

    beforeAll(async () => {
      servers = await startTenantServers();
      for (let i = 0; i < 2; i++) {
        replicas.push(
          await createTenantApp(postgresStore(settings.name, logger), logger, {
            ...moduleOptions(encryptionKey),
            // Held messages are looked at again only after the test's timeout: a release within
            // the test must come from the save.
            outbox: place.options({ holdRecheckMs: 2 * HELD_TEST_MS }),
            onAlert: (alert) => alerts.push(alert),
          }),
        );
      }
      jobs = outboxJobs(place);
    });

    afterAll(async () => {
      await jobs?.close();
      await Promise.all(replicas.map((app) => app.close()));
      await closeTenantServers(servers);
      await place.drop();
      await settings.drop();
    });

    it(
      'holds its messages while the other tenant keeps sending; the right password saved on the other replica sends them',
      async () => {
        const [first, second] = replicas as [INestApplication, INestApplication];
        const onFirst = clientOf(first);
        const wrong = basicOf(servers, 'acme', { password: WRONG_PASSWORD });
        expect((await onFirst(TOKEN.acme, 'put', '', wrong)).status).toBe(200);
        expect((await onFirst(TOKEN.globex, 'put', '', basicOf(servers, 'globex'))).status).toBe(
          200,
        );
        const onSecond = clientOf(second);
        await until(
          async () => (await onSecond(TOKEN.acme, 'get', '')).body.version === 1,
          'the second replica to follow',
        );

        // A wait may use what is left of the test's budget: on a busy machine one step can take
        // far longer than usual while the whole still fits, and a failure still names its step.
        const deadline = Date.now() + HELD_TEST_MS - 2 * FIXED_MS;
        const budget = () => Math.max(FIXED_MS, deadline - Date.now());
        // Both replicas enqueue for both tenants; both replicas' workers deliver.
        for (let i = 0; i < HELD; i++) {
          const mailer = replicas[i % 2]!.get(MailerService);
          await mailer.enqueue(
            { to: `a${i}@example.com`, subject: `A ${i}`, text: 'x' },
            { tenant: 'acme' },
          );
          await mailer.enqueue(
            { to: `b${i}@example.com`, subject: `B ${i}`, text: 'x' },
            { tenant: 'globex' },
          );
        }
        await servers.b.waitForMessages(HELD, budget());
        const outbox = first.get(OutboxService);
        await until(
          async () => (await outbox.summary('acme')).counts.held === HELD,
          "all of A's messages held",
          budget(),
        );
        expect(servers.a.messages).toHaveLength(0);
        const held = await listAll(outbox, 'acme');
        expect(held.every((entry) => entry.status === 'held' && !!entry.heldReason)).toBe(true);
        expect(JSON.stringify(held)).not.toContain(WRONG_PASSWORD);
        expect(
          alerts.filter((alert) => alert.type === 'held' && alert.tenant === 'acme').length,
        ).toBeGreaterThanOrEqual(1);
        expect(alerts.some((alert) => alert.tenant === 'globex')).toBe(false);

        expect((await onSecond(TOKEN.acme, 'put', '', basicOf(servers, 'acme'))).status).toBe(200);
        await servers.a.waitForMessages(HELD, budget());
        await until(
          async () => (await outbox.summary('acme')).counts.sent === HELD,
          "A's messages logged as sent",
          FIXED_MS,
        );
        // Once no job is left to run, no late duplicate can come.
        await until(async () => (await jobs!.unfinished()) === 0, 'no job left to run', FIXED_MS);

        expect(servers.a.messages).toHaveLength(HELD);
        expect(messageIdCounts(servers.a.messages).size).toBe(HELD);
        expect(servers.a.messages.every((message) => message.user === ACME.username)).toBe(true);
        expect(servers.b.messages).toHaveLength(HELD);
        expect(servers.b.messages.every((message) => message.user === GLOBEX.username)).toBe(true);
        const sent = await listAll(outbox, 'acme');
        expect(sent.map((entry) => bareMessageId(entry.messageId)).sort()).toEqual(
          [...messageIdCounts(servers.a.messages).keys()].sort(),
        );
        await until(
          () => alerts.some((alert) => alert.type === 'recovered' && alert.tenant === 'acme'),
          "a 'recovered' alert for A",
        );
        expect(JSON.stringify(alerts)).not.toContain(WRONG_PASSWORD);
        expect(JSON.stringify(alerts)).not.toContain(ACME.password);
      },
      HELD_TEST_MS,
    );
  });

  describe('one Microsoft 365 mailbox', () => {
    const MAILBOX = 'notifications@contoso.onmicrosoft.com';
    const RATE = { limit: 5, windowMs: 2000 };
    const MESSAGES = 20;
    /** Windows the limit spreads the messages over beyond the first. */
    const WINDOWS = Math.ceil(MESSAGES / RATE.limit) - 1;
    /** The limit's own wait, and the messages' as in the proof above. */
    const RATE_TEST_MS = WINDOWS * RATE.windowMs + FIXED_MS + MESSAGES * PER_MESSAGE_MS;
    let jobs: OutboxJobs | undefined;
    const logger = new CapturingLogger();
    let place: OutboxPlace;
    let settings: TestSchema;
    let entra: FakeEntraId;
    let app: FakeApp;
    let peer: SmtpPeer;
    const received: number[] = [];
    const replicas: SettingsApp[] = [];

    beforeAll(async () => {
      place = outboxPlace(backend, 'replicas_rate');
      settings = testSchema('smtp_outbox_rate');
      entra = await FakeEntraId.start();
      app = entra.register({
        tenantId: '9a8b7c6d-aaaa-4bbb-8ccc-ddddeeeeffff',
        clientId: '0b1e2f3a-1111-4222-8333-444455556666',
        clientSecret: 'entra-secret-value~1',
      });
      peer = await startSmtpPeer({
        tls: 'starttls',
        authMethods: ['XOAUTH2'],
        onAuth: entra.smtpAuth(MAILBOX),
        onData: () => void received.push(Date.now()),
      });
      const encryptionKey = randomBytes(32).toString('base64');
      for (let i = 0; i < 2; i++) {
        const ctx = await createSettingsApp({
          store: postgresStore(settings.name, logger),
          encryptionKey,
          tls: { ca: entra.ca },
          retry: { attempts: 2, baseDelayMs: 5 },
          microsoft: { authorityHost: entra.authorityHost, rateLimit: RATE },
          // Each replica's whole worker for the one tenant: the share would let one replica's
          // two attempts keep every place, and this proof needs both replicas to send.
          outbox: place.options({ concurrency: 4, tenantConcurrency: 8 }),
        });
        ctx.installed.add('smtp-oauth');
        replicas.push(ctx);
      }
      jobs = outboxJobs(place);
    });

    afterAll(async () => {
      await jobs?.close();
      await Promise.all(replicas.map((ctx) => ctx.app.close()));
      await peer?.close();
      await entra?.close();
      await place?.drop();
      await settings?.drop();
    });

    it(
      `sends no more than ${RATE.limit} messages in any ${RATE.windowMs} ms across both replicas`,
      async () => {
        const [first, second] = replicas as [SettingsApp, SettingsApp];
        await request(first.app.getHttpServer())
          .put('/smtp-settings')
          .set({ Authorization: `Bearer ${ADMIN_TOKEN}` })
          .send({
            type: 'bearer',
            provider: 'microsoft',
            hostname: peer.host,
            port: peer.port,
            username: MAILBOX,
            senderEmail: MAILBOX,
            clientId: app.clientId,
            clientSecret: app.clientSecret,
            tenantId: app.tenantId,
            useTls: true,
          })
          .expect(200);
        await until(
          async () => (await second.app.get(SmtpSettingsService).get()).version === 1,
          'the second replica to follow',
        );

        const sentBy = [0, 0];
        const subscriptions = replicas.map((ctx, i) =>
          ctx.app
            .get(MailerService)
            .events$.subscribe((event) => void (event.type === 'sent' && sentBy[i]!++)),
        );
        const started = Date.now();
        for (let i = 0; i < MESSAGES; i++) {
          await replicas[i % 2]!.app.get(MailerService).enqueue({
            to: `user${i}@example.com`,
            subject: `Rate ${i}`,
            text: 'x',
          });
        }
        await peer.waitForMessages(MESSAGES, RATE_TEST_MS);
        // Once no job is left to run, no late duplicate can come.
        await until(async () => (await jobs!.unfinished()) === 0, 'no job left to run', FIXED_MS);

        expect(peer.messages).toHaveLength(MESSAGES);
        expect(messageIdCounts(peer.messages).size).toBe(MESSAGES);
        // Server-side arrival times: a slow machine only spaces them further.
        expect(busiestWindow(received, RATE.windowMs)).toBeLessThanOrEqual(RATE.limit);
        // Twenty messages at five per window: the last four windows begin 2, 4 and 6 s in.
        expect(received.at(-1)! - started).toBeGreaterThanOrEqual(WINDOWS * RATE.windowMs);
        // Both replicas' workers took part: the limit is shared, not each process's own.
        subscriptions.forEach((subscription) => subscription.unsubscribe());
        expect(sentBy[0]! + sentBy[1]!).toBe(MESSAGES);
        expect(Math.min(...sentBy)).toBeGreaterThan(0);
        const log = await listAll(first.app.get(OutboxService), 'default');
        expect(log.every((entry) => entry.status === 'sent')).toBe(true);
      },
      FIXED_MS + RATE_TEST_MS,
    );
  });
});
