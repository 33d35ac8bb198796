import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import request from 'supertest';
import {
  DeliveryFailedError,
  DeliveryUncertainError,
  InMemorySmtpSettingsStore,
  MailerService,
  SmtpSettingsModule,
  type MailEvent,
  type OutboxAlert,
  type SmtpSettingsModuleOptions,
} from '../../lib';
import { FAILOVER_CLOCK } from '../../lib/transport/failover-circuits';
import { ADMIN_TOKEN, TestAdminGuard } from '../fixtures/admin.guard';
import { FakeEntraId } from '../fixtures/fake-entra-id';
import { basicSettingsFor } from '../fixtures/peer-settings';
import { startSmtpPeer, type SmtpPeer, type SmtpPeerOptions } from '../fixtures/smtp-peer';

const AUTH = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const MAIN_PASSWORD = 'failover-main-5b1c';
const BACKUP_PASSWORD = 'failover-backup-e07d';
const MINUTE = 60_000;

/**
 * Direct sends fail over to the tenant's backup connection when the main one cannot take the
 * message, and only then; a circuit keeps later messages off a dead main server for a minute.
 * Every server is a real SMTP peer on loopback; the circuit's clock is the test's.
 */
describe('Failover of direct sends to the backup connection', () => {
  const peers: SmtpPeer[] = [];
  const apps: INestApplication[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    await Promise.all(peers.splice(0).map((peer) => peer.close()));
  });

  async function peer(options: SmtpPeerOptions = {}): Promise<SmtpPeer> {
    const started = await startSmtpPeer(options);
    peers.push(started);
    return started;
  }

  /** A port where nothing listens: a peer started and closed again. */
  async function deadServer(): Promise<SmtpPeer> {
    const dead = await startSmtpPeer();
    await dead.close();
    return dead;
  }

  /** A server that greets every connection with `greeting` and hangs up: 421, one too busy to talk. */
  async function busyServer(
    greeting = '421 4.3.2 Too busy, try again later',
  ): Promise<SmtpPeer & { greeted: number }> {
    const server = createServer((socket) => {
      busy.greeted++;
      socket.end(`${greeting}\r\n`);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const busy = {
      host: '127.0.0.1',
      port,
      tls: 'none' as const,
      greeted: 0,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
    peers.push(busy as unknown as SmtpPeer);
    return busy as unknown as SmtpPeer & { greeted: number };
  }

  interface Ctx {
    app: INestApplication;
    mailer: MailerService;
    alerts: OutboxAlert[];
    clock: { now: number };
  }

  async function app(options: Partial<SmtpSettingsModuleOptions> = {}): Promise<Ctx> {
    const clock = { now: Date.parse('2026-12-01T10:00:00Z') };
    const alerts: OutboxAlert[] = [];
    const moduleRef = await Test.createTestingModule({
      imports: [
        SmtpSettingsModule.forRoot({
          store: new InMemorySmtpSettingsStore(),
          encryptionKey: randomBytes(32).toString('base64'),
          guards: [TestAdminGuard],
          onAlert: (alert) => alerts.push(alert),
          ...options,
        }),
      ],
    })
      .overrideProvider(FAILOVER_CLOCK)
      .useValue(() => clock.now)
      .compile();
    const nest = moduleRef.createNestApplication({ logger: false });
    await nest.init();
    apps.push(nest);
    return { app: nest, mailer: nest.get(MailerService), alerts, clock };
  }

  async function save(ctx: Ctx, path: string, body: object): Promise<void> {
    await request(ctx.app.getHttpServer()).put(path).set(AUTH).send(body).expect(200);
  }

  async function configure(
    ctx: Ctx,
    main: SmtpPeer,
    backup: SmtpPeer,
    mainPassword = MAIN_PASSWORD,
  ) {
    await save(
      ctx,
      '/smtp-settings',
      basicSettingsFor(main, mainPassword, { senderEmail: 'noreply@main.example' }),
    );
    await save(
      ctx,
      '/smtp-settings/backup',
      basicSettingsFor(backup, BACKUP_PASSWORD, { senderEmail: 'noreply@backup.example' }),
    );
  }

  async function delivery(ctx: Ctx) {
    return (await request(ctx.app.getHttpServer()).get('/smtp-settings').set(AUTH).expect(200)).body
      .delivery;
  }

  const message = (subject: string) => ({ to: 'user@example.com', subject, text: subject });

  it('sends through the backup, as the same message, when nothing listens at main', async () => {
    const [main, backup] = [await deadServer(), await peer({ users: { mailer: BACKUP_PASSWORD } })];
    const ctx = await app();
    await configure(ctx, main, backup);
    const events: MailEvent[] = [];
    ctx.mailer.events$.subscribe((event) => events.push(event));

    const result = await ctx.mailer.send(message('down'));

    const [received] = await backup.waitForMessages(1);
    expect(result).toMatchObject({ connection: 'backup', route: 'custom', settingsVersion: 1 });
    // The Message-ID that main's attempt gave it (named after main's sender) travels unchanged.
    expect(received!.headers.messageId).toBe(result.messageId);
    expect(result.messageId).toMatch(/@main\.example>$/);
    // At once: one attempt at main (no retries of a connection refused), one at the backup.
    expect(events).toEqual([
      expect.objectContaining({ type: 'sent', connection: 'backup', attempts: 2 }),
    ]);
    // The backup's own sender, as the backup's settings say.
    expect(received!.envelope.from).toBe('noreply@backup.example');
    expect(ctx.alerts).toEqual([
      {
        type: 'failover',
        tenant: 'default',
        reason: expect.stringContaining('nothing accepts connections'),
        at: expect.any(String),
      },
    ]);
    const view = await delivery(ctx);
    expect(view).toMatchObject({
      connection: 'backup',
      failover: {
        reason: expect.stringContaining('main connection'),
        since: '2026-12-01T10:00:00.000Z',
        retryMainAt: '2026-12-01T10:01:00.000Z',
      },
    });
  });

  it('keeps a Message-ID the caller gave', async () => {
    const [main, backup] = [await deadServer(), await peer()];
    const ctx = await app();
    await configure(ctx, main, backup);
    const messageId = '<caller-1@app.example>';
    const result = await ctx.mailer.send({ ...message('own id'), messageId });
    const [received] = await backup.waitForMessages(1);
    expect(result.messageId).toBe(messageId);
    expect(received!.headers.messageId).toBe(messageId);
  });

  it('sends through the backup when main refuses the sign-in (535)', async () => {
    const [main, backup] = [
      await peer({ users: { mailer: MAIN_PASSWORD } }),
      await peer({ users: { mailer: BACKUP_PASSWORD } }),
    ];
    const ctx = await app();
    await configure(ctx, main, backup, 'a-wrong-main-password');
    const result = await ctx.mailer.send(message('refused'));
    expect(result.connection).toBe('backup');
    await backup.waitForMessages(1);
    expect(main.authAttempts.some((attempt) => !attempt.ok)).toBe(true);
    expect(main.messages).toHaveLength(0);
    expect(ctx.alerts.map((alert) => alert.type)).toEqual(['failover']);
  });

  it('sends through the backup when main answers 421 at the greeting', async () => {
    const main = await busyServer();
    const backup = await peer();
    const ctx = await app();
    await configure(ctx, main, backup);
    const result = await ctx.mailer.send(message('busy'));
    expect(result.connection).toBe('backup');
    expect(main.greeted).toBeGreaterThan(0);
    await backup.waitForMessages(1);
  });

  it('sends through the backup when main greets with 554 (no service): it takes no message', async () => {
    const main = await busyServer('554 5.3.2 No SMTP service here');
    const backup = await peer();
    const ctx = await app();
    await configure(ctx, main, backup);
    const result = await ctx.mailer.send(message('no service'));
    expect(result.connection).toBe('backup');
    expect(main.greeted).toBeGreaterThan(0);
    await backup.waitForMessages(1);
    expect(ctx.alerts.map((alert) => alert.type)).toEqual(['failover']);
  });

  it('sends through the backup when main answers 4xx at MAIL FROM', async () => {
    const main = await peer({ onMailFrom: () => ({ code: 451, message: 'Local problem' }) });
    const backup = await peer();
    const ctx = await app();
    await configure(ctx, main, backup);
    const result = await ctx.mailer.send(message('mail from'));
    expect(result.connection).toBe('backup');
    await backup.waitForMessages(1);
  });

  it('does not fail over when main rejects a recipient (550): the error is main’s', async () => {
    const main = await peer({ rejectRecipients: () => 550 });
    const backup = await peer();
    const ctx = await app();
    await configure(ctx, main, backup);
    const sent = ctx.mailer.send(message('rejected'));
    await expect(sent).rejects.toBeInstanceOf(DeliveryFailedError);
    await expect(sent).rejects.toMatchObject({ stage: 'recipients' });
    expect(backup.connections).toBe(0);
    expect(ctx.alerts).toEqual([]);
    expect(await delivery(ctx)).toMatchObject({ connection: 'main', failover: null });
  });

  it('does not fail over when main closes after the end of DATA: the outcome stays uncertain', async () => {
    const main = await peer({ dropAfterData: 1 });
    const backup = await peer();
    const ctx = await app();
    await configure(ctx, main, backup);
    await expect(ctx.mailer.send(message('uncertain'))).rejects.toBeInstanceOf(
      DeliveryUncertainError,
    );
    // The server recorded it before it lost the connection: the backup must not send it again.
    expect(main.messages).toHaveLength(1);
    expect(backup.connections).toBe(0);
    expect(ctx.alerts).toEqual([]);
  });

  it('keeps later messages off main for a minute, then tries it once and fails back', async () => {
    let mainAccepts = false;
    const main = await peer({
      onAuth: (auth, _session, callback) =>
        mainAccepts
          ? callback(null, { user: auth.username })
          : callback(
              Object.assign(new Error('5.7.8 Authentication failed'), { responseCode: 535 }),
            ),
    });
    const backup = await peer();
    const ctx = await app();
    await configure(ctx, main, backup);

    expect((await ctx.mailer.send(message('1'))).connection).toBe('backup');
    const mainConnections = main.connections;

    // Within the minute: straight to the backup, main untouched.
    ctx.clock.now += MINUTE - 1;
    expect((await ctx.mailer.send(message('2'))).connection).toBe('backup');
    expect(main.connections).toBe(mainConnections);

    // A minute on, one message tries main: still refused, so the backup takes it, no new alert.
    ctx.clock.now += 1;
    expect((await ctx.mailer.send(message('3'))).connection).toBe('backup');
    expect(main.connections).toBeGreaterThan(mainConnections);
    const afterProbe = main.connections;
    expect((await ctx.mailer.send(message('4'))).connection).toBe('backup');
    expect(main.connections).toBe(afterProbe);
    expect(ctx.alerts.map((alert) => alert.type)).toEqual(['failover']);
    expect(await delivery(ctx)).toMatchObject({
      connection: 'backup',
      failover: { since: '2026-12-01T10:00:00.000Z', retryMainAt: '2026-12-01T10:02:00.000Z' },
    });

    // Main is fixed; a minute after the last try it takes the message: failback.
    mainAccepts = true;
    ctx.clock.now += MINUTE;
    expect((await ctx.mailer.send(message('5'))).connection).toBe('main');
    await main.waitForMessages(1);
    expect(ctx.alerts.map((alert) => alert.type)).toEqual(['failover', 'failback']);
    expect(await delivery(ctx)).toMatchObject({ connection: 'main', failover: null });
    expect((await ctx.mailer.send(message('6'))).connection).toBe('main');
    expect(backup.messages.map((m) => m.headers.subject)).toEqual(['1', '2', '3', '4']);
  });

  it('fails back when the probe reaches main and main refuses only the recipient', async () => {
    let mainAccepts = false;
    const main = await peer({
      onAuth: (auth, _session, callback) =>
        mainAccepts
          ? callback(null, { user: auth.username })
          : callback(
              Object.assign(new Error('5.7.8 Authentication failed'), { responseCode: 535 }),
            ),
      rejectRecipients: (address) => (address.startsWith('gone@') ? 550 : undefined),
    });
    const backup = await peer();
    const ctx = await app();
    await configure(ctx, main, backup);
    expect((await ctx.mailer.send(message('1'))).connection).toBe('backup');
    mainAccepts = true;
    ctx.clock.now += MINUTE;
    // The probe: main signs in and refuses the recipient. That is the message's error, not a
    // reason to send it elsewhere, and main is back.
    await expect(
      ctx.mailer.send({ to: 'gone@example.com', subject: '2', text: '2' }),
    ).rejects.toMatchObject({ stage: 'recipients' });
    expect(backup.messages).toHaveLength(1);
    expect(ctx.alerts.map((alert) => alert.type)).toEqual(['failover', 'failback']);
    expect((await ctx.mailer.send(message('3'))).connection).toBe('main');
  });

  it('reports failover on MailerService.alerts$ as to onAlert', async () => {
    const [main, backup] = [await deadServer(), await peer()];
    const ctx = await app();
    const seen: OutboxAlert[] = [];
    ctx.mailer.alerts$.subscribe((alert) => seen.push(alert));
    await configure(ctx, main, backup);
    await ctx.mailer.send(message('x'));
    expect(seen).toEqual(ctx.alerts);
    expect(seen).toHaveLength(1);
  });

  it('fails as before without a backup: no failover, no alert', async () => {
    const main = await deadServer();
    const ctx = await app({ retry: { attempts: 1 } });
    await save(ctx, '/smtp-settings', basicSettingsFor(main, MAIN_PASSWORD));
    await expect(ctx.mailer.send(message('none'))).rejects.toMatchObject({ stage: 'connect' });
    expect(ctx.alerts).toEqual([]);
  });

  it('never fails over to the relay, nor from the relay to the backup', async () => {
    const relay = await peer();
    const backup = await peer();
    const main = await deadServer();
    const ctx = await app({
      relay: { transport: `smtp://${relay.host}:${relay.port}`, from: 'relay@vendor.example' },
      retry: { attempts: 1 },
    });
    // Main settings down and no backup: the message fails; the relay is not asked.
    await save(ctx, '/smtp-settings', basicSettingsFor(main, MAIN_PASSWORD));
    await expect(ctx.mailer.send(message('no relay'))).rejects.toMatchObject({ stage: 'connect' });
    expect(relay.connections).toBe(0);

    // On the relay (no main settings) with a backup saved: a relay that cannot take the message
    // is not a reason to send through the customer's backup.
    await request(ctx.app.getHttpServer()).delete('/smtp-settings').set(AUTH).expect(204);
    await save(ctx, '/smtp-settings/backup', basicSettingsFor(backup, BACKUP_PASSWORD));
    await relay.close();
    await expect(ctx.mailer.send(message('relay down'))).rejects.toBeInstanceOf(Error);
    expect(backup.connections).toBe(0);
    expect(ctx.alerts).toEqual([]);
  });
});

describe('Failover when no Bearer token can be had for main', () => {
  let entra: FakeEntraId;
  const closers: Array<() => Promise<unknown>> = [];
  beforeEach(async () => {
    entra = await FakeEntraId.start();
  });
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
    await entra.close();
  });

  it('sends through the backup when Entra ID refuses the client secret', async () => {
    const mailbox = 'notifications@contoso.onmicrosoft.com';
    const registered = entra.register({
      tenantId: '9a8b7c6d-aaaa-4bbb-8ccc-ddddeeeeffff',
      clientId: '0b1e2f3a-1111-4222-8333-444455556666',
      clientSecret: 'entra-right-secret~7',
    });
    const main = await startSmtpPeer({
      tls: 'starttls',
      authMethods: ['XOAUTH2'],
      onAuth: entra.smtpAuth(mailbox),
    });
    const backup = await startSmtpPeer();
    closers.push(
      () => main.close(),
      () => backup.close(),
    );
    const alerts: OutboxAlert[] = [];
    const moduleRef = await Test.createTestingModule({
      imports: [
        SmtpSettingsModule.forRoot({
          store: new InMemorySmtpSettingsStore(),
          encryptionKey: randomBytes(32).toString('base64'),
          guards: [TestAdminGuard],
          upgrades: () => true,
          tls: { ca: entra.ca },
          microsoft: { authorityHost: entra.authorityHost },
          onAlert: (alert) => alerts.push(alert),
        }),
      ],
    }).compile();
    const nest = moduleRef.createNestApplication({ logger: false });
    await nest.init();
    closers.push(() => nest.close());
    const http = nest.getHttpServer();
    await request(http)
      .put('/smtp-settings')
      .set(AUTH)
      .send({
        type: 'bearer',
        provider: 'microsoft',
        hostname: main.host,
        port: main.port,
        username: mailbox,
        senderEmail: mailbox,
        clientId: registered.clientId,
        clientSecret: 'entra-wrong-secret~3',
        tenantId: registered.tenantId,
        useTls: true,
      })
      .expect(200);
    await request(http)
      .put('/smtp-settings/backup')
      .set(AUTH)
      .send(basicSettingsFor(backup, BACKUP_PASSWORD))
      .expect(200);

    const result = await nest.get(MailerService).send({ to: 'a@example.com', text: 'token' });

    expect(result.connection).toBe('backup');
    await backup.waitForMessages(1);
    expect(main.authAttempts).toEqual([]);
    expect(alerts).toEqual([expect.objectContaining({ type: 'failover', tenant: 'default' })]);
  });
});
