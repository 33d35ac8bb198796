import { Logger } from '@nestjs/common';
import {
  DeliveryUncertainError,
  MailerService,
  RecipientLimitExceededError,
  DeliveryFailedError,
  type MailEvent,
  type SmtpSettingsModuleOptions,
} from '../../lib';
import { statusOf } from '../../lib/http/smtp-settings-exception.filter';
import { SlidingWindowLimiter } from '../../lib/transport/sliding-window-limiter';
import { fakeDateOnly } from '../fixtures/fake-date';
import { FakeEntraId, type FakeApp } from '../fixtures/fake-entra-id';
import { startSampleApp } from '../fixtures/sample-app-harness';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';
import { startSmtpPeer, type SmtpPeer, type SmtpPeerOptions } from '../fixtures/smtp-peer';
import { trustedTestCa } from '../fixtures/test-ca';
import { basicSettingsFor, saveSettings } from '../fixtures/peer-settings';

const USERS = { mailer: 'delivery-safety-password' };
const MAILBOX = 'notifications@contoso.onmicrosoft.com';
const FAST_RETRY = { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 };
const HOUR_MS = 3_600_000;

const recipients = (n: number, name = 'user', domain = 'example.com') =>
  Array.from({ length: n }, (_, i) => `${name}${i}@${domain}`);

describe('Delivery safety: nothing sent twice, nothing over the limit, nothing after shutdown', () => {
  const peers: SmtpPeer[] = [];
  const apps: SettingsApp[] = [];
  let ca: string;

  beforeAll(async () => {
    ca = (await trustedTestCa()).ca;
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    jest.useRealTimers();
    await Promise.all(apps.splice(0).map((a) => a.app.close()));
    await Promise.all(peers.splice(0).map((p) => p.close()));
  });

  async function peer(options: SmtpPeerOptions = {}): Promise<SmtpPeer> {
    const started = await startSmtpPeer({ users: USERS, ...options });
    peers.push(started);
    return started;
  }

  async function app(options: Partial<SmtpSettingsModuleOptions> = {}): Promise<SettingsApp> {
    const created = await createSettingsApp({ tls: { ca }, retry: FAST_RETRY, ...options });
    apps.push(created);
    return created;
  }

  const basicFor = (target: SmtpPeer, extra: Record<string, unknown> = {}) =>
    basicSettingsFor(target, USERS.mailer, extra);

  const configure = (ctx: SettingsApp, body: Record<string, unknown>) =>
    saveSettings(ctx.app, body);

  function eventsOf(ctx: SettingsApp): MailEvent[] {
    const events: MailEvent[] = [];
    ctx.app.get(MailerService).events$.subscribe((e) => events.push(e));
    return events;
  }

  /** Resolves with the first log line at `level` that matches. */
  function logged(level: 'debug' | 'warn', pattern: RegExp): Promise<string> {
    return new Promise((resolve) => {
      const original = Logger.prototype[level];
      jest.spyOn(Logger.prototype, level).mockImplementation(function (
        this: Logger,
        ...args: [unknown, ...unknown[]]
      ) {
        const line = args.map(String).join(' ');
        if (pattern.test(line)) resolve(line);
        return original.apply(this, args);
      });
    });
  }

  describe('a failure after the whole message was written is never retried', () => {
    it('fails with DELIVERY_UNCERTAIN when the reply to the end of data times out, and sends once', async () => {
      // The server takes the whole message and never answers; every earlier reply comes far
      // within 2 s, even on a loaded machine, so only that silence can trip the timeout.
      let copies = 0;
      let took!: () => void;
      const taken = new Promise<void>((resolve) => (took = resolve));
      const server = await peer({
        onData: () => {
          copies++;
          took();
          return new Promise<void>(() => undefined);
        },
      });
      const ctx = await app({ pool: { socketTimeout: 2000 } });
      await configure(ctx, basicFor(server));
      const events = eventsOf(ctx);
      const send = ctx.app.get(MailerService).send({ to: 'a@example.com', text: 'x' });
      await expect(send).rejects.toBeInstanceOf(DeliveryUncertainError);
      await expect(send).rejects.toMatchObject({
        code: 'DELIVERY_UNCERTAIN',
        message: expect.stringMatching(/may have accepted it.*deliver it twice/),
      });
      // The server had the whole message: one copy, one connection.
      await taken;
      expect(copies).toBe(1);
      expect(server.connections).toBe(1);
      expect(events).toEqual([
        expect.objectContaining({ type: 'failed', code: 'DELIVERY_UNCERTAIN', attempts: 1 }),
      ]);
    });

    it('fails with DELIVERY_UNCERTAIN when the connection drops after the whole message, and sends once', async () => {
      const server = await peer({ dropAfterData: 1 });
      const ctx = await app();
      await configure(ctx, basicFor(server));
      const mailer = ctx.app.get(MailerService);
      await expect(mailer.send({ to: 'a@example.com', text: 'x' })).rejects.toMatchObject({
        code: 'DELIVERY_UNCERTAIN',
        message: expect.stringContaining(`${server.host}:${server.port}`),
      });
      expect(server.messages).toHaveLength(1);
      expect(server.connections).toBe(1);
      expect((await mailer.status()).lastError).toMatchObject({ code: 'DELIVERY_UNCERTAIN' });
    });
  });

  describe('a failure before the message was complete is retried, and delivers once', () => {
    it('retries a connection dropped while the message is still being written', async () => {
      const server = await peer({ dropMidData: 1 });
      const ctx = await app();
      await configure(ctx, basicFor(server));
      const events = eventsOf(ctx);
      await ctx.app.get(MailerService).send({
        to: 'a@example.com',
        subject: 'large',
        text: 'x',
        attachments: [{ filename: 'large.bin', content: Buffer.alloc(8_000_000, 1) }],
      });
      expect(server.messages.map((m) => m.headers.subject)).toEqual(['large']);
      expect(events).toEqual([expect.objectContaining({ type: 'sent', attempts: 2 })]);
    });

    it('retries a socket timeout at MAIL FROM', async () => {
      let stalled = 0;
      const server = await peer({
        // The first MAIL FROM is never answered: only that silence can outlast 2 s.
        onMailFrom: () => (stalled++ === 0 ? new Promise<void>(() => undefined) : undefined),
      });
      const ctx = await app({ pool: { socketTimeout: 2000 } });
      await configure(ctx, basicFor(server));
      const events = eventsOf(ctx);
      await ctx.app.get(MailerService).send({ to: 'a@example.com', subject: 'once', text: 'x' });
      expect(server.messages.map((m) => m.headers.subject)).toEqual(['once']);
      expect(events).toEqual([expect.objectContaining({ type: 'sent', attempts: 2 })]);
    });

    it('retries a 451 reply to the end of data: a definite "not accepted"', async () => {
      const server = await peer({ failFirst: { count: 1, code: 451, at: 'data' } });
      const ctx = await app();
      await configure(ctx, basicFor(server));
      const events = eventsOf(ctx);
      await ctx.app.get(MailerService).send({ to: 'a@example.com', text: 'x' });
      expect(server.messages).toHaveLength(1);
      expect(events).toEqual([expect.objectContaining({ type: 'sent', attempts: 2 })]);
    });
  });

  it.each([
    ['TLS off against an implicit-TLS port', { useTls: false }],
    ['STARTTLS against an implicit-TLS port', { useTls: true, tlsMode: 'starttls' }],
  ])('does not retry a server that never greets (%s)', async (_name, tls) => {
    const server = await peer({ tls: 'implicit' });
    // The server never greets, so this timeout decides when, not whether, the send fails; 2 s is
    // far beyond what connecting takes on a loaded machine.
    const ctx = await app({ pool: { connectionTimeout: 2000 } });
    await configure(ctx, { ...basicFor(server), ...tls });
    const events = eventsOf(ctx);
    const send = ctx.app.get(MailerService).send({ to: 'a@example.com', text: 'x' });
    await expect(send).rejects.toBeInstanceOf(DeliveryFailedError);
    await expect(send).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    expect(events).toEqual([expect.objectContaining({ type: 'failed', attempts: 1 })]);
    expect(server.connections).toBe(1);
  });

  describe('the relay', () => {
    async function relayApp(server: SmtpPeer, relay: Record<string, unknown> = {}) {
      return app({
        relay: {
          transport: `smtp://${server.host}:${server.port}`,
          from: 'relay@vendor.example.com',
          ...relay,
        },
      });
    }

    it.each(['reject', 'split'] as const)(
      'never sends more RCPT TO than its limit for recipients that differ only in case (%s)',
      async (recipientPolicy) => {
        let rcpts = 0;
        const relay = await peer({ users: undefined, onRcptTo: () => void rcpts++ });
        const ctx = await relayApp(relay, { recipientPolicy });
        const result = await ctx.app.get(MailerService).send({
          to: recipients(50),
          cc: recipients(50, 'User'),
          text: 'x',
        });
        const [message] = await relay.waitForMessages(1);
        expect(message!.envelope.to).toEqual(recipients(50));
        expect(rcpts).toBe(50);
        expect(result.accepted).toHaveLength(50);
        // The headers still name everyone as the sender wrote them.
        expect(message!.headers.cc).toContain('User0@example.com');
      },
    );

    it('splits recipients that differ only in case into batches within its limit', async () => {
      let rcpts = 0;
      const relay = await peer({ users: undefined, onRcptTo: () => void rcpts++ });
      const ctx = await relayApp(relay, { recipientPolicy: 'split' });
      const result = await ctx.app.get(MailerService).send({
        to: recipients(60),
        bcc: recipients(60, 'USER'),
        text: 'x',
      });
      const messages = await relay.waitForMessages(2);
      expect(messages.map((m) => m.envelope.to.length)).toEqual([50, 10]);
      expect(rcpts).toBe(60);
      expect(result.batches?.map((b) => b.recipients.length)).toEqual([50, 10]);
    });

    it('still refuses 51 unique recipients, however they are spelled', async () => {
      const relay = await peer({ users: undefined });
      const ctx = await relayApp(relay);
      await expect(
        ctx.app.get(MailerService).send({
          to: recipients(51),
          cc: recipients(51, 'USER'),
          text: 'x',
        }),
      ).rejects.toBeInstanceOf(RecipientLimitExceededError);
      expect(relay.connections).toBe(0);
    });

    it('refuses a message without a sender when the relay has no from, before connecting', async () => {
      const relay = await peer({ users: undefined });
      const ctx = await relayApp(relay, { from: undefined });
      const send = ctx.app.get(MailerService).send({ to: 'a@example.com', text: 'x' });
      await expect(send).rejects.toMatchObject({
        code: 'SENDER_REQUIRED',
        field: 'from',
        message: expect.stringMatching(/from address.*relay option from/),
      });
      expect(relay.connections).toBe(0);
      await ctx.app
        .get(MailerService)
        .send({ from: 'app@example.com', to: 'a@example.com', text: 'x' });
      expect((await relay.waitForMessages(1))[0]!.envelope.from).toBe('app@example.com');
    });
  });

  describe('failures the product sees', () => {
    it('explains a failed send as verify does, keeping the SMTP details', async () => {
      const server = await peer();
      const port = server.port;
      await server.close();
      const ctx = await app();
      await configure(ctx, basicFor({ ...server, port } as SmtpPeer));
      const warned = logged('warn', /Mail not sent/);
      const retried: string[] = [];
      const debug = Logger.prototype.debug;
      jest.spyOn(Logger.prototype, 'debug').mockImplementation(function (
        this: Logger,
        ...args: [unknown, ...unknown[]]
      ) {
        retried.push(args.map(String).join(' '));
        return debug.apply(this, args);
      });
      const send = ctx.app.get(MailerService).send({ to: 'a@example.com', text: 'x' });
      await expect(send).rejects.toBeInstanceOf(DeliveryFailedError);
      await expect(send).rejects.toMatchObject({
        stage: 'connect',
        code: 'ESOCKET',
        message: `nothing accepts connections at 127.0.0.1:${port}: check the hostname and port`,
        cause: expect.objectContaining({ message: expect.stringContaining('ECONNREFUSED') }),
      });
      const warning = await warned;
      expect(warning).toContain('ESOCKET');
      expect(warning).toContain('nothing accepts connections');
      expect(warning).not.toContain(USERS.mailer);
      expect(retried.filter((l) => /retrying in/.test(l))).toHaveLength(2);
      expect(await ctx.app.get(MailerService).status()).toMatchObject({
        lastError: { code: 'ESOCKET', message: expect.stringContaining('nothing accepts') },
        lastSuccessAt: null,
      });
    });

    it('keeps a 535 as EAUTH with its reply code, explained, without retrying', async () => {
      const server = await peer();
      const ctx = await app();
      await configure(ctx, basicFor(server, { password: 'wrong-password' }));
      await expect(
        ctx.app.get(MailerService).send({ to: 'a@example.com', text: 'x' }),
      ).rejects.toMatchObject({
        code: 'EAUTH',
        responseCode: 535,
        command: expect.stringContaining('AUTH'),
        stage: 'auth',
      });
      expect(server.authAttempts).toHaveLength(1);
    });

    it('tells when mail last went out', async () => {
      const server = await peer();
      const ctx = await app();
      await configure(ctx, basicFor(server));
      const before = new Date().toISOString();
      await ctx.app.get(MailerService).send({ to: 'a@example.com', text: 'x' });
      const { lastSuccessAt } = await ctx.app.get(MailerService).status();
      expect(lastSuccessAt! >= before).toBe(true);
    });

    it('fails with a forced login when the server offers no AUTH, never sending unauthenticated', async () => {
      const server = await peer({ noAuth: true });
      const ctx = await app();
      await configure(ctx, basicFor(server));
      await expect(
        ctx.app.get(MailerService).send({ to: 'a@example.com', text: 'x' }),
      ).rejects.toBeInstanceOf(DeliveryFailedError);
      expect(server.messages).toHaveLength(0);
    });
  });

  describe('shutdown', () => {
    it('refuses to send after shutdown and opens no connection', async () => {
      const server = await peer();
      const ctx = await app();
      await configure(ctx, basicFor(server));
      const mailer = ctx.app.get(MailerService);
      await ctx.app.close();
      apps.splice(apps.indexOf(ctx), 1);
      await expect(mailer.send({ to: 'a@example.com', text: 'x' })).rejects.toMatchObject({
        code: 'DELIVERY_UNAVAILABLE',
        reason: 'shut-down',
      });
      expect(server.connections).toBe(0);
      await expect(mailer.status()).resolves.toBeDefined();
    });

    it('closes the pool it used and builds no new one after shutdown', async () => {
      const server = await peer();
      const ctx = await app();
      await configure(ctx, basicFor(server));
      const mailer = ctx.app.get(MailerService);
      await mailer.send({ to: 'a@example.com', text: 'x' });
      await ctx.app.close();
      apps.splice(apps.indexOf(ctx), 1);
      await expect(mailer.send({ to: 'a@example.com', text: 'x' })).rejects.toMatchObject({
        reason: 'shut-down',
      });
      expect(server.connections).toBe(1);
      expect(server.messages).toHaveLength(1);
    });

    it('cancels a retry delay at shutdown', async () => {
      const server = await peer({ failFirst: { count: 5, code: 421 } });
      // An hour: a wait that shutdown did not cancel would outlive the test.
      const ctx = await app({ retry: { attempts: 3, baseDelayMs: HOUR_MS, maxDelayMs: HOUR_MS } });
      await configure(ctx, basicFor(server));
      const waiting = logged('debug', /retrying in/);
      const send = ctx.app.get(MailerService).send({ to: 'a@example.com', text: 'x' });
      send.catch(() => undefined);
      await waiting;
      await ctx.app.close();
      apps.splice(apps.indexOf(ctx), 1);
      await expect(send).rejects.toMatchObject({
        code: 'DELIVERY_UNAVAILABLE',
        reason: 'shut-down',
      });
      expect(server.connections).toBe(1);
    });
  });

  describe('Microsoft 365 mailboxes', () => {
    let entra: FakeEntraId;
    let registration: FakeApp;

    beforeEach(async () => {
      entra = await FakeEntraId.start();
      registration = entra.register({
        tenantId: '9a8b7c6d-aaaa-4bbb-8ccc-ddddeeeeffff',
        clientId: '0b1e2f3a-1111-4222-8333-444455556666',
        clientSecret: 'delivery-safety-entra-secret~1',
      });
    });
    afterEach(async () => {
      await Promise.all(apps.splice(0).map((a) => a.app.close()));
      await entra.close();
    });

    async function exchange(options: SmtpPeerOptions = {}): Promise<SmtpPeer> {
      return peer({
        users: undefined,
        tls: 'starttls',
        authMethods: ['XOAUTH2'],
        onAuth: entra.smtpAuth(MAILBOX),
        ...options,
      });
    }

    async function bearerApp(options: Partial<SmtpSettingsModuleOptions> = {}) {
      const ctx = await app({
        tls: { ca: entra.ca },
        ...options,
        microsoft: { authorityHost: entra.authorityHost, ...options.microsoft },
      });
      ctx.installed.add('smtp-oauth');
      return ctx;
    }

    function bearerFor(target: SmtpPeer, extra: Record<string, unknown> = {}) {
      return {
        type: 'bearer',
        provider: 'microsoft',
        hostname: target.host,
        port: target.port,
        username: MAILBOX,
        senderEmail: MAILBOX,
        clientId: registration.clientId,
        clientSecret: registration.clientSecret,
        tenantId: registration.tenantId,
        useTls: true,
        ...extra,
      };
    }

    it('shares one renewal among connections whose token Microsoft refused (535)', async () => {
      const server = await exchange();
      const ctx = await bearerApp({
        pool: { maxConnections: 5, maxMessages: 1 },
        microsoft: { rateLimit: false },
      });
      await configure(ctx, bearerFor(server));
      const mailer = ctx.app.get(MailerService);
      await mailer.send({ to: 'a@example.com', text: 'warm-up' });
      expect(entra.tokenRequests).toBe(1);
      entra.revokeAll();
      await Promise.all(
        Array.from({ length: 5 }, (_, i) => mailer.send({ to: 'a@example.com', text: `m${i}` })),
      );
      expect(server.messages).toHaveLength(6);
      expect(entra.tokenRequests).toBe(2);
    });

    it('shares one renewal among connections whose token was refused with a 334 challenge', async () => {
      const server = await exchange({
        // Gmail-style: a refused token gets a 334 challenge, and nodemailer asks for a new one.
        onAuth: (auth, _session, callback) =>
          entra.accepts(auth.accessToken)
            ? callback(null, { user: MAILBOX })
            : callback(null, { data: { status: '401', schemes: 'bearer' } }),
      });
      const ctx = await bearerApp({
        pool: { maxConnections: 5, maxMessages: 1 },
        microsoft: { rateLimit: false },
      });
      await configure(ctx, bearerFor(server));
      const mailer = ctx.app.get(MailerService);
      await mailer.send({ to: 'a@example.com', text: 'warm-up' });
      entra.revokeAll();
      await Promise.all(
        Array.from({ length: 5 }, (_, i) => mailer.send({ to: 'a@example.com', text: `m${i}` })),
      );
      expect(server.messages).toHaveLength(6);
      expect(entra.tokenRequests).toBe(2);
    });

    it('keeps the mailbox rate budget when settings are saved for the same mailbox', async () => {
      // The limiter reads Date.now(), which stands still until the test moves it: the budget m1
      // and m2 spent frees only then, so m3 is let through at that time unless saving reset it.
      fakeDateOnly();
      const windowMs = 1000;
      const server = await exchange();
      const ctx = await bearerApp({ microsoft: { rateLimit: { limit: 2, windowMs } } });
      await configure(ctx, bearerFor(server));
      const mailer = ctx.app.get(MailerService);
      const letThrough: number[] = [];
      let queued: (() => void) | undefined;
      const acquire = SlidingWindowLimiter.prototype.acquire;
      jest.spyOn(SlidingWindowLimiter.prototype, 'acquire').mockImplementation(function (
        this: SlidingWindowLimiter,
        signal,
      ) {
        const turn = acquire.call(this, signal);
        turn.then(
          () => void letThrough.push(Date.now()),
          () => undefined,
        );
        queued?.();
        return turn;
      });
      const start = Date.now();
      await mailer.send({ to: 'a@example.com', text: 'm1' });
      await mailer.send({ to: 'a@example.com', text: 'm2' });
      await configure(ctx, bearerFor(server, { senderName: 'Notifications' }));
      const atLimiter = new Promise<void>((resolve) => (queued = resolve));
      const third = mailer.send({ to: 'a@example.com', text: 'm3' });
      await atLimiter;
      // A limiter decides within the microtasks after acquire, so by the next turn of the event
      // loop m3 is either through (a reset budget) or waiting.
      await new Promise((resolve) => setImmediate(resolve));
      jest.setSystemTime(start + windowMs);
      await third;
      expect(server.messages).toHaveLength(3);
      expect(letThrough).toEqual([start, start, start + windowMs]);
    });

    it('cancels a rate-limit wait at shutdown', async () => {
      const server = await exchange();
      // An hour: a wait that shutdown did not cancel would outlive the test.
      const ctx = await bearerApp({ microsoft: { rateLimit: { limit: 1, windowMs: HOUR_MS } } });
      await configure(ctx, bearerFor(server));
      const mailer = ctx.app.get(MailerService);
      await mailer.send({ to: 'a@example.com', text: 'm1' });
      const queued = new Promise<void>((resolve) => {
        const acquire = SlidingWindowLimiter.prototype.acquire;
        jest.spyOn(SlidingWindowLimiter.prototype, 'acquire').mockImplementation(function (
          this: SlidingWindowLimiter,
          signal,
        ) {
          resolve();
          return acquire.call(this, signal);
        });
      });
      const second = mailer.send({ to: 'a@example.com', text: 'm2' });
      second.catch(() => undefined);
      await queued;
      await ctx.app.close();
      apps.splice(apps.indexOf(ctx), 1);
      await expect(second).rejects.toMatchObject({ reason: 'shut-down' });
      expect(server.messages).toHaveLength(1);
    });

    it('fails with 503 upgrade-removed, opening no connection, once the upgrade is removed', async () => {
      const server = await exchange();
      const ctx = await bearerApp();
      await configure(ctx, bearerFor(server));
      ctx.installed.delete('smtp-oauth');
      const mailer = ctx.app.get(MailerService);
      const sent = mailer.send({ to: 'a@example.com', text: 'x' });
      // What the exception filter answers on a route that sends.
      expect(await sent.then(() => 200, statusOf)).toBe(503);
      await expect(sent).rejects.toMatchObject({
        code: 'DELIVERY_UNAVAILABLE',
        reason: 'upgrade-removed',
        message: expect.stringContaining(
          'Security Enhancement - oAuth Enablement for SMTP services',
        ),
      });
      expect(server.connections).toBe(0);
      expect(entra.tokenRequests).toBe(0);
      expect(await mailer.status()).toMatchObject({
        route: 'custom',
        lastError: { code: 'DELIVERY_UNAVAILABLE' },
      });
    });
  });

  it('lets an unopenable secret fail the send with 503, opening no connection', async () => {
    const server = await peer();
    const first = await app();
    await configure(first, basicFor(server));
    // The same store under another key: the sealed password cannot be opened.
    const ctx = await app({ store: first.store });
    const mailer = ctx.app.get(MailerService);
    const sent = mailer.send({ to: 'a@example.com', text: 'x' });
    expect(await sent.then(() => 200, statusOf)).toBe(503);
    await expect(sent).rejects.toMatchObject({
      code: 'DELIVERY_UNAVAILABLE',
      reason: 'secret-unavailable',
    });
    expect(server.connections).toBe(0);
    expect(await mailer.status()).toMatchObject({
      route: 'custom',
      lastError: { code: 'DELIVERY_UNAVAILABLE' },
    });
  });

  it("answers the sample app's product route with the explained failure, logged once", async () => {
    const closed = await startSmtpPeer();
    const port = closed.port;
    await closed.close();
    const h = await startSampleApp();
    try {
      const saved = await h.call('PUT', '/smtp-settings', {
        type: 'basic',
        hostname: '127.0.0.1',
        port,
        username: 'mailer',
        password: USERS.mailer,
        senderEmail: 'noreply@example.com',
        useTls: false,
      });
      expect(saved.status).toBe(200);
      const res = await h.call('POST', '/notifications', {
        to: 'a@example.com',
        subject: 'Hi',
        text: 'x',
      });
      expect(res.status).toBe(502);
      expect(res.body).toEqual({
        statusCode: 502,
        code: 'ESOCKET',
        stage: 'connect',
        message: `nothing accepts connections at 127.0.0.1:${port}: check the hostname and port`,
      });
      const warnings = h.logger.lines.filter(
        (l) => l.startsWith('WARN') && /Mail not sent/.test(l),
      );
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('ESOCKET');
      expect(warnings[0]).toContain('nothing accepts connections');
      expect(h.logger.text).not.toContain(USERS.mailer);
    } finally {
      await h.close();
    }
  });
});
