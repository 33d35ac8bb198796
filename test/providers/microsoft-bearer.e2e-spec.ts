import { Logger } from '@nestjs/common';
import request from 'supertest';
import { MailerService, type SmtpSettingsModuleOptions } from '../../lib';
import { ADMIN_TOKEN } from '../fixtures/admin.guard';
import { fakeDateOnly } from '../fixtures/fake-date';
import { FakeEntraId, type FakeApp } from '../fixtures/fake-entra-id';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';

const AUTH = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const MAILBOX = 'notifications@contoso.onmicrosoft.com';
const SHARED_TOKEN_MESSAGES = 200;
/** A pooled send takes under 10 ms on a quiet machine; 30× that leaves room for a loaded one. */
const MESSAGE_BUDGET_MS = 300;

describe('Bearer authentication for Microsoft 365', () => {
  let entra: FakeEntraId;
  let app: FakeApp;
  const peers: SmtpPeer[] = [];
  const apps: SettingsApp[] = [];
  const logs: string[] = [];

  beforeAll(() => {
    for (const level of ['log', 'warn', 'error', 'debug', 'verbose'] as const) {
      jest
        .spyOn(Logger.prototype, level)
        .mockImplementation((...args: unknown[]) => void logs.push(args.map(String).join(' ')));
    }
  });
  beforeEach(async () => {
    entra = await FakeEntraId.start();
    app = entra.register({
      tenantId: '9a8b7c6d-aaaa-4bbb-8ccc-ddddeeeeffff',
      domain: 'contoso.onmicrosoft.com',
      clientId: '0b1e2f3a-1111-4222-8333-444455556666',
      clientSecret: 'entra-secret-value~1',
    });
  });
  afterEach(async () => {
    jest.useRealTimers();
    await Promise.all(apps.splice(0).map((a) => a.app.close()));
    await Promise.all(peers.splice(0).map((p) => p.close()));
    await entra.close();
  });
  afterAll(() => {
    jest.restoreAllMocks();
    const text = logs.join('\n');
    expect(text).not.toContain('entra-secret-value');
    expect(text).not.toContain('fake-at.');
  });

  async function exchange(options: Parameters<typeof startSmtpPeer>[0] = {}): Promise<SmtpPeer> {
    const peer = await startSmtpPeer({
      tls: 'starttls',
      authMethods: ['XOAUTH2'],
      onAuth: entra.smtpAuth(MAILBOX),
      ...options,
    });
    peers.push(peer);
    return peer;
  }

  async function bearerApp(options: Partial<SmtpSettingsModuleOptions> = {}): Promise<SettingsApp> {
    const ctx = await createSettingsApp({
      tls: { ca: entra.ca },
      retry: { attempts: 2, baseDelayMs: 5 },
      ...options,
      microsoft: { authorityHost: entra.authorityHost, ...options.microsoft },
    });
    ctx.installed.add('smtp-oauth');
    apps.push(ctx);
    return ctx;
  }

  function bearerFor(peer: SmtpPeer, extra: Record<string, unknown> = {}) {
    return {
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
      ...extra,
    };
  }

  async function configure(ctx: SettingsApp, body: Record<string, unknown>) {
    await request(ctx.app.getHttpServer()).put('/smtp-settings').set(AUTH).send(body).expect(200);
  }

  it('sends with XOAUTH2 as the mailbox over STARTTLS', async () => {
    const peer = await exchange();
    const ctx = await bearerApp();
    await configure(ctx, bearerFor(peer));
    const result = await ctx.app
      .get(MailerService)
      .send({ to: 'a@example.com', subject: 'Hello', text: 'x' });
    expect(result).toMatchObject({ route: 'custom', accepted: ['a@example.com'] });
    const [message] = await peer.waitForMessages(1);
    expect(message).toMatchObject({ user: MAILBOX, secure: true, envelope: { from: MAILBOX } });
    expect(peer.authAttempts).toEqual([
      expect.objectContaining({ method: 'XOAUTH2', username: MAILBOX, ok: true }),
    ]);
    expect(entra.tokenRequests).toBe(1);
  });

  it('accepts the tenant as a verified domain', async () => {
    const peer = await exchange();
    const ctx = await bearerApp();
    await configure(ctx, bearerFor(peer, { tenantId: 'contoso.onmicrosoft.com' }));
    await ctx.app.get(MailerService).send({ to: 'a@example.com', text: 'x' });
    expect(peer.messages).toHaveLength(1);
  });

  it(
    `shares one token among ${SHARED_TOKEN_MESSAGES} messages and all pooled connections`,
    async () => {
      const peer = await exchange();
      const ctx = await bearerApp({ microsoft: { rateLimit: false } });
      await configure(ctx, bearerFor(peer));
      const mailer = ctx.app.get(MailerService);
      await Promise.all(
        Array.from({ length: SHARED_TOKEN_MESSAGES }, (_, i) =>
          mailer.send({ to: 'a@example.com', subject: `m${i}`, text: 'x' }),
        ),
      );
      expect(peer.messages).toHaveLength(SHARED_TOKEN_MESSAGES);
      expect(peer.connections).toBeGreaterThan(1);
      expect(entra.tokenRequests).toBe(1);
    },
    SHARED_TOKEN_MESSAGES * MESSAGE_BUDGET_MS,
  );

  it('asks for a new token once the old one expires', async () => {
    // Only Date is faked: MSAL, the fake token endpoint and the token cache all read Date.now(),
    // so the test moves their clock past the expiry instead of sleeping through it.
    fakeDateOnly();
    const peer = await exchange();
    const ctx = await bearerApp({ pool: { maxMessages: 1 } });
    await configure(ctx, bearerFor(peer));
    const mailer = ctx.app.get(MailerService);
    await mailer.send({ to: 'a@example.com', text: 'first' });
    jest.setSystemTime(Date.now() + (entra.expiresIn * 1000) / 2);
    await mailer.send({ to: 'a@example.com', text: 'same token' });
    expect(entra.tokenRequests).toBe(1);
    jest.setSystemTime(Date.now() + entra.expiresIn * 1000);
    await mailer.send({ to: 'a@example.com', text: 'after expiry' });
    expect(entra.tokenRequests).toBe(2);
    // Renewed before connecting: a 535 for the expired token would also end in a second request.
    expect(peer.authAttempts.map((a) => a.ok)).toEqual([true, true, true]);
    expect(peer.messages).toHaveLength(3);
  });

  it('renews a token the server rejects with 535 once, and retries the message', async () => {
    const peer = await exchange();
    const ctx = await bearerApp({ pool: { maxMessages: 1 } });
    await configure(ctx, bearerFor(peer));
    const mailer = ctx.app.get(MailerService);
    await mailer.send({ to: 'a@example.com', text: 'first' });
    entra.revokeAll();
    const result = await mailer.send({ to: 'a@example.com', text: 'after revocation' });
    expect(result.accepted).toEqual(['a@example.com']);
    expect(entra.tokenRequests).toBe(2);
    expect(peer.authAttempts.map((a) => a.ok)).toEqual([true, false, true]);
  });

  it('reports a second rejection without looping', async () => {
    const peer = await exchange({
      onAuth: (_auth, _session, callback) =>
        callback(
          Object.assign(new Error('5.7.3 Authentication unsuccessful'), { responseCode: 535 }),
        ),
    });
    const ctx = await bearerApp();
    await configure(ctx, bearerFor(peer));
    await expect(
      ctx.app.get(MailerService).send({ to: 'a@example.com', text: 'x' }),
    ).rejects.toMatchObject({ code: 'EAUTH', responseCode: 535 });
    expect(peer.authAttempts).toHaveLength(2);
    expect(entra.tokenRequests).toBe(2);
  });

  it('uses a new client secret on the next message and drops the old client', async () => {
    const peer = await exchange();
    const ctx = await bearerApp();
    await configure(ctx, bearerFor(peer));
    await ctx.app.get(MailerService).send({ to: 'a@example.com', text: 'x' });
    app.clientSecret = 'rotated-secret-value~2';
    await configure(ctx, bearerFor(peer, { clientSecret: 'rotated-secret-value~2' }));
    await ctx.app.get(MailerService).send({ to: 'a@example.com', text: 'y' });
    expect(entra.tokenRequests).toBe(2);
    expect(peer.messages).toHaveLength(2);
  });

  describe('Entra ID errors name the field to fix', () => {
    it.each([
      [
        'a wrong client secret',
        { clientSecret: 'wrong' },
        'AADSTS7000215',
        'clientSecret is wrong',
      ],
      [
        'an unknown client id',
        { clientId: '11111111-2222-4333-8444-555555555555', clientSecret: 'x' },
        'AADSTS700016',
        'clientId: no application',
      ],
      [
        'an unknown tenant',
        { tenantId: '00000000-0000-4000-8000-000000000000', clientSecret: 'x' },
        'AADSTS90002',
        'tenantId: the tenant was not found',
      ],
    ])('verify reports %s at stage token', async (_name, change, code, message) => {
      const peer = await exchange();
      const ctx = await bearerApp();
      const res = await request(ctx.app.getHttpServer())
        .post('/smtp-settings/verify')
        .set(AUTH)
        .send(bearerFor(peer, change))
        .expect(200);
      expect(res.body).toMatchObject({
        ok: false,
        stage: 'token',
        code,
        message: expect.stringContaining(message),
      });
      expect(JSON.stringify(res.body)).not.toContain(app.clientSecret);
      expect(peer.connections).toBe(0);
    });

    it('reports an expired client secret, and sending fails with the same message', async () => {
      app.secretExpired = true;
      const peer = await exchange();
      const ctx = await bearerApp();
      await configure(ctx, bearerFor(peer));
      const res = await request(ctx.app.getHttpServer())
        .post('/smtp-settings/verify')
        .set(AUTH)
        .expect(200);
      expect(res.body).toMatchObject({
        ok: false,
        stage: 'token',
        code: 'AADSTS7000222',
        message: expect.stringContaining('clientSecret has expired'),
      });
      await expect(
        ctx.app.get(MailerService).send({ to: 'a@example.com', text: 'x' }),
      ).rejects.toMatchObject({ code: 'AADSTS7000222', field: 'clientSecret' });
      expect(peer.messages).toHaveLength(0);
    });

    it('verifies good settings through token, TLS and AUTH', async () => {
      const peer = await exchange();
      const ctx = await bearerApp();
      const res = await request(ctx.app.getHttpServer())
        .post('/smtp-settings/verify')
        .set(AUTH)
        .send(bearerFor(peer))
        .expect(200);
      expect(res.body).toMatchObject({ ok: true, stage: 'auth' });
      expect(peer.messages).toHaveLength(0);
    });

    it.each([
      [
        '5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant',
        'SMTP AUTH is disabled',
      ],
      ['5.7.3 Authentication unsuccessful', 'SMTP.SendAsApp'],
    ])('maps the SMTP answer 535 %s', async (reply, message) => {
      const peer = await exchange({
        onAuth: (_auth, _session, callback) =>
          callback(Object.assign(new Error(reply), { responseCode: 535 })),
      });
      const ctx = await bearerApp();
      const res = await request(ctx.app.getHttpServer())
        .post('/smtp-settings/verify')
        .set(AUTH)
        .send(bearerFor(peer))
        .expect(200);
      expect(res.body).toMatchObject({
        ok: false,
        stage: 'auth',
        code: '535',
        message: expect.stringContaining(message),
      });
    });
  });

  it('fails closed when the upgrade is removed after Bearer settings were saved', async () => {
    const peer = await exchange();
    const relay = await startSmtpPeer();
    peers.push(relay);
    const ctx = await bearerApp({
      relay: { transport: `smtp://${relay.host}:${relay.port}`, from: 'relay@vendor.example.com' },
    });
    await configure(ctx, bearerFor(peer));
    ctx.installed.delete('smtp-oauth');
    await expect(
      ctx.app.get(MailerService).send({ to: 'a@example.com', text: 'x' }),
    ).rejects.toMatchObject({
      code: 'DELIVERY_UNAVAILABLE',
      reason: 'upgrade-removed',
      message: expect.stringContaining('Security Enhancement - oAuth Enablement for SMTP services'),
    });
    const verify = await request(ctx.app.getHttpServer())
      .post('/smtp-settings/verify')
      .set(AUTH)
      .expect(403);
    expect(verify.body).toMatchObject({ code: 'UPGRADE_REQUIRED' });
    expect(peer.connections + relay.connections).toBe(0);
    expect(entra.tokenRequests).toBe(0);
    ctx.installed.add('smtp-oauth');
    await ctx.app.get(MailerService).send({ to: 'a@example.com', text: 'x' });
    expect(peer.messages).toHaveLength(1);
  });

  it('queues messages to honour the rate limit instead of failing them', async () => {
    // The limiter reads Date.now(): with only Date faked, time moves when the test says so, and
    // each message's arrival is stamped with the window it was let through in.
    fakeDateOnly();
    const windowMs = 300;
    const arrivals: number[] = [];
    const peer = await exchange({ onData: () => void arrivals.push(Date.now()) });
    const ctx = await bearerApp({ microsoft: { rateLimit: { limit: 2, windowMs } } });
    await configure(ctx, bearerFor(peer));
    const mailer = ctx.app.get(MailerService);
    const sent = Promise.all(
      Array.from({ length: 6 }, (_, i) => mailer.send({ to: 'a@example.com', text: `m${i}` })),
    );
    for (const count of [2, 4, 6]) {
      await peer.waitForMessages(count);
      jest.setSystemTime(Date.now() + windowMs);
    }
    await sent;
    expect(peer.messages).toHaveLength(6);
    // No window holds more than the limit (pacing itself: sliding-window-limiter.spec).
    const busiest = Math.max(
      ...arrivals.map((start) => arrivals.filter((t) => t >= start && t < start + windowMs).length),
    );
    expect(busiest).toBe(2);
  });
});
