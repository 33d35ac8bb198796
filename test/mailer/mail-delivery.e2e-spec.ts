import request from 'supertest';
import {
  MailerService,
  RecipientLimitExceededError,
  type MailEvent,
  type SmtpSettingsModuleOptions,
} from '../../lib';
import { SmtpChannelFactory } from '../../lib/transport/smtp-channel.factory';
import { ADMIN_TOKEN } from '../fixtures/admin.guard';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';
import { startSmtpPeer, type SmtpPeer, type SmtpPeerOptions } from '../fixtures/smtp-peer';
import { trustedTestCa, untrustedServerCert } from '../fixtures/test-ca';
import { basicSettingsFor, saveSettings } from '../fixtures/peer-settings';

const AUTH = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const USERS = { mailer: 'mailer-password' };

const recipients = (n: number, domain = 'example.com') =>
  Array.from({ length: n }, (_, i) => `user${i}@${domain}`);

describe('Mail delivery through the live transport', () => {
  const peers: SmtpPeer[] = [];
  const apps: SettingsApp[] = [];
  let ca: string;

  beforeAll(async () => {
    ca = (await trustedTestCa()).ca;
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.app.close()));
    await Promise.all(peers.splice(0).map((p) => p.close()));
  });

  async function peer(options: SmtpPeerOptions = {}): Promise<SmtpPeer> {
    const started = await startSmtpPeer({ users: USERS, ...options });
    peers.push(started);
    return started;
  }

  async function app(options: Partial<SmtpSettingsModuleOptions> = {}): Promise<SettingsApp> {
    const created = await createSettingsApp({
      tls: { ca },
      retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
      ...options,
    });
    apps.push(created);
    return created;
  }

  const basicFor = (target: SmtpPeer, extra: Record<string, unknown> = {}) =>
    basicSettingsFor(target, USERS.mailer, extra);

  const configure = (ctx: SettingsApp, body: Record<string, unknown>) =>
    saveSettings(ctx.app, body);

  describe.each(['none', 'starttls', 'implicit'] as const)('over %s TLS', (tls) => {
    it('delivers with the configured sender, reply-to and envelope', async () => {
      const server = await peer({ tls });
      const ctx = await app();
      await configure(
        ctx,
        basicFor(server, { senderName: 'Strato, Inc. "Ops"', replyTo: 'help@example.com' }),
      );
      const result = await ctx.app.get(MailerService).send({
        to: 'a@example.com',
        cc: 'b@example.com',
        bcc: 'c@example.com',
        subject: 'Hi',
        text: 'Hello',
      });
      expect(result).toMatchObject({
        route: 'custom',
        settingsVersion: 1,
        accepted: ['a@example.com', 'b@example.com', 'c@example.com'],
        rejected: [],
        envelope: {
          from: 'noreply@example.com',
          to: ['a@example.com', 'b@example.com', 'c@example.com'],
        },
      });
      const [message] = await server.waitForMessages(1);
      expect(message!.secure).toBe(tls !== 'none');
      expect(message!.user).toBe('mailer');
      expect(message!.envelope.to).toEqual(['a@example.com', 'b@example.com', 'c@example.com']);
      expect(message!.headers.from).toBe('"Strato, Inc. \\"Ops\\"" <noreply@example.com>');
      expect(message!.headers.replyTo).toBe('help@example.com');
      expect(message!.headers.bcc).toBeUndefined();
      expect(message!.headers.messageId).toMatch(/@example\.com>$/);
      expect(result.messageId).toBe(message!.headers.messageId);
    });
  });

  it('lets a message name its own sender and reply-to', async () => {
    const server = await peer();
    const ctx = await app();
    await configure(ctx, basicFor(server, { replyTo: 'help@example.com' }));
    await ctx.app.get(MailerService).send({
      from: 'other@example.com',
      replyTo: 'r@example.com',
      to: 'a@example.com',
      text: 'x',
    });
    const [message] = await server.waitForMessages(1);
    expect(message!.envelope.from).toBe('other@example.com');
    expect(message!.headers.replyTo).toBe('r@example.com');
  });

  it('fails clearly when STARTTLS is required and the server does not offer it', async () => {
    const server = await peer({ tls: 'none' });
    const ctx = await app();
    await configure(ctx, basicFor(server, { useTls: true }));
    await expect(
      ctx.app.get(MailerService).send({ to: 'a@example.com', text: 'x' }),
    ).rejects.toThrow(/STARTTLS/i);
    expect(server.messages).toHaveLength(0);
    const verify = await request(ctx.app.getHttpServer())
      .post('/smtp-settings/verify')
      .set(AUTH)
      .expect(200);
    expect(verify.body).toMatchObject({
      ok: false,
      stage: 'tls',
      message: expect.stringContaining('does not offer STARTTLS'),
    });
  });

  it('refuses a certificate that no trusted CA signed', async () => {
    const server = await peer({ tls: 'starttls', cert: await untrustedServerCert() });
    const ctx = await app();
    await configure(ctx, basicFor(server));
    await expect(
      ctx.app.get(MailerService).send({ to: 'a@example.com', text: 'x' }),
    ).rejects.toThrow();
    expect(server.messages).toHaveLength(0);
    const verify = await request(ctx.app.getHttpServer())
      .post('/smtp-settings/verify')
      .set(AUTH)
      .expect(200);
    expect(verify.body).toMatchObject({
      ok: false,
      stage: 'tls',
      message: expect.stringContaining(`certificate for ${server.host} is not trusted`),
    });
  });

  it('reports a wrong password as a 535 with a clear message, without retrying', async () => {
    const server = await peer({ tls: 'starttls' });
    const ctx = await app();
    await configure(ctx, basicFor(server, { password: 'wrong-password' }));
    await expect(
      ctx.app.get(MailerService).send({ to: 'a@example.com', text: 'x' }),
    ).rejects.toMatchObject({ code: 'EAUTH', responseCode: 535 });
    expect(server.authAttempts).toHaveLength(1);
    const verify = await request(ctx.app.getHttpServer())
      .post('/smtp-settings/verify')
      .set(AUTH)
      .expect(200);
    expect(verify.body).toMatchObject({
      ok: false,
      stage: 'auth',
      code: '535',
      message: 'authentication failed: check username and password',
    });
    expect(server.authAttempts).toHaveLength(2);
    expect(JSON.stringify(verify.body)).not.toContain('wrong-password');
  });

  describe('verify', () => {
    it('connects, negotiates TLS and authenticates without sending anything', async () => {
      const server = await peer({ tls: 'starttls' });
      const ctx = await app();
      await configure(ctx, basicFor(server));
      const res = await request(ctx.app.getHttpServer())
        .post('/smtp-settings/verify')
        .set(AUTH)
        .expect(200);
      expect(res.body).toMatchObject({
        ok: true,
        stage: 'auth',
        code: null,
        route: 'custom',
        durationMs: expect.any(Number),
      });
      expect(server.messages).toHaveLength(0);
    });

    it('checks unsaved settings, reusing the stored password under the re-entry rule', async () => {
      const server = await peer({ tls: 'starttls' });
      const ctx = await app();
      await configure(ctx, basicFor(server));
      const { password: _password, ...unsaved } = basicFor(server, { senderName: 'Unsaved' });
      const ok = await request(ctx.app.getHttpServer())
        .post('/smtp-settings/verify')
        .set(AUTH)
        .send(unsaved)
        .expect(200);
      expect(ok.body.ok).toBe(true);
      const moved = await request(ctx.app.getHttpServer())
        .post('/smtp-settings/verify')
        .set(AUTH)
        .send({ ...unsaved, hostname: 'localhost' })
        .expect(400);
      expect(moved.body.errors).toEqual([
        { field: 'password', message: 'password must be re-entered because hostname changed' },
      ]);
      expect((await ctx.store.get('default'))?.version).toBe(1);
    });

    it('reports nothing listening at the connect stage', async () => {
      const server = await peer();
      const port = server.port;
      await server.close();
      const ctx = await app();
      const res = await request(ctx.app.getHttpServer())
        .post('/smtp-settings/verify')
        .set(AUTH)
        .send(basicFor({ ...server, port } as SmtpPeer))
        .expect(200);
      expect(res.body).toMatchObject({
        ok: false,
        stage: 'connect',
        message: expect.stringContaining('check the hostname and port'),
      });
    });

    it('reports an unknown host at the dns stage', async () => {
      const ctx = await app();
      const res = await request(ctx.app.getHttpServer())
        .post('/smtp-settings/verify')
        .set(AUTH)
        .send({ ...basicFor({ host: 'no-such-host.invalid', port: 25, tls: 'none' } as SmtpPeer) })
        .expect(200);
      expect(res.body).toMatchObject({
        ok: false,
        stage: 'dns',
        message: 'no-such-host.invalid could not be found in DNS: check the hostname',
      });
    });

    it('reports implicit TLS against a STARTTLS port at the tls stage', async () => {
      const server = await peer({ tls: 'starttls' });
      const ctx = await app();
      const res = await request(ctx.app.getHttpServer())
        .post('/smtp-settings/verify')
        .set(AUTH)
        .send(basicFor(server, { tlsMode: 'implicit' }))
        .expect(200);
      expect(res.body).toMatchObject({
        ok: false,
        stage: 'tls',
        message: expect.stringContaining('STARTTLS'),
      });
    });

    it('validates an unsaved body like PUT does', async () => {
      const ctx = await app();
      const res = await request(ctx.app.getHttpServer())
        .post('/smtp-settings/verify')
        .set(AUTH)
        .send({ type: 'basic', port: 'x' })
        .expect(400);
      expect(res.body.errors).toContainEqual({
        field: 'port',
        message: expect.stringContaining('port must be a whole number'),
      });
    });
  });

  describe('test email', () => {
    it('sends a short message from the configured sender through the current route', async () => {
      const server = await peer();
      const ctx = await app();
      await configure(ctx, basicFor(server));
      const res = await request(ctx.app.getHttpServer())
        .post('/smtp-settings/test-email')
        .set(AUTH)
        .send({ to: 'admin@example.com' })
        .expect(200);
      expect(res.body).toMatchObject({
        ok: true,
        route: 'custom',
        accepted: ['admin@example.com'],
      });
      const [message] = await server.waitForMessages(1);
      expect(message!.envelope).toEqual({ from: 'noreply@example.com', to: ['admin@example.com'] });
      expect(message!.headers.subject).toBe('SMTP settings test email');
    });

    it('answers a remote failure with ok false, the stage and a message', async () => {
      const server = await peer();
      const ctx = await app();
      await configure(ctx, basicFor(server, { password: 'nope' }));
      const res = await request(ctx.app.getHttpServer())
        .post('/smtp-settings/test-email')
        .set(AUTH)
        .send({ to: 'admin@example.com' })
        .expect(200);
      expect(res.body).toEqual({
        ok: false,
        stage: 'auth',
        code: '535',
        message: 'authentication failed: check username and password',
      });
    });

    it('validates the address', async () => {
      const ctx = await app();
      const res = await request(ctx.app.getHttpServer())
        .post('/smtp-settings/test-email')
        .set(AUTH)
        .send({ to: 'a@example.com\r\nBcc: x@example.com' })
        .expect(400);
      expect(res.body.errors).toEqual([
        { field: 'to', message: 'to must not contain line breaks' },
      ]);
    });
  });

  describe('the relay', () => {
    async function relayApp(server: SmtpPeer, policy?: 'reject' | 'split') {
      return app({
        relay: {
          transport: `smtp://${server.host}:${server.port}`,
          from: 'relay@vendor.example.com',
          recipientPolicy: policy,
        },
      });
    }

    it('carries mail while no custom settings are saved', async () => {
      const relay = await peer({ users: undefined });
      const ctx = await relayApp(relay);
      const result = await ctx.app
        .get(MailerService)
        .send({ to: recipients(50), subject: 'fifty', text: 'x' });
      expect(result).toMatchObject({ route: 'relay', settingsVersion: 0 });
      expect(result.accepted).toHaveLength(50);
      const [message] = await relay.waitForMessages(1);
      expect(message!.envelope.from).toBe('relay@vendor.example.com');
    });

    it('rejects 51 unique recipients before opening any connection', async () => {
      const relay = await peer({ users: undefined });
      const ctx = await relayApp(relay);
      const send = ctx.app.get(MailerService).send({
        to: recipients(30),
        cc: recipients(20, 'example.org'),
        bcc: ['extra@example.net', 'USER0@example.com'],
        text: 'x',
      });
      await expect(send).rejects.toBeInstanceOf(RecipientLimitExceededError);
      await expect(send).rejects.toMatchObject({
        code: 'RECIPIENT_LIMIT_EXCEEDED',
        count: 51,
        limit: 50,
        message: expect.stringContaining('51 recipients'),
      });
      expect(relay.connections).toBe(0);
    });

    it('splits into batches of 50 when asked: one copy each, Bcc never in the headers', async () => {
      const relay = await peer({ users: undefined });
      const ctx = await relayApp(relay, 'split');
      const to = recipients(60);
      const bcc = recipients(60, 'example.org');
      const result = await ctx.app
        .get(MailerService)
        .send({ to, bcc, subject: 'split', text: 'x' });
      expect(result.batches?.map((b) => b.recipients.length)).toEqual([50, 50, 20]);
      const messages = await relay.waitForMessages(3);
      const delivered = messages.flatMap((m) => m.envelope.to);
      expect(delivered.sort()).toEqual([...to, ...bcc].sort());
      expect(new Set(messages.map((m) => m.headers.messageId)).size).toBe(1);
      for (const m of messages) {
        expect(m.headers.bcc).toBeUndefined();
        expect(m.raw.toString()).not.toContain('example.org');
      }
      expect(result.accepted).toHaveLength(120);
    });

    it('says exactly who got a split message when a batch fails', async () => {
      const relay = await peer({
        users: undefined,
        rejectRecipients: (a) => (a.endsWith('@example.org') ? 550 : undefined),
      });
      const ctx = await relayApp(relay, 'split');
      const to = [...recipients(50), ...recipients(10, 'example.org')];
      await expect(ctx.app.get(MailerService).send({ to, text: 'x' })).rejects.toMatchObject({
        code: 'PARTIAL_DELIVERY',
        sentTo: recipients(50),
        notSentTo: recipients(10, 'example.org'),
      });
    });

    it('never limits a customer SMTP server', async () => {
      const relay = await peer({ users: undefined });
      const own = await peer();
      const ctx = await relayApp(relay);
      await configure(ctx, basicFor(own));
      const result = await ctx.app.get(MailerService).send({ to: recipients(120), text: 'x' });
      expect(result).toMatchObject({ route: 'custom' });
      expect((await own.waitForMessages(1))[0]!.envelope.to).toHaveLength(120);
      expect(relay.messages).toHaveLength(0);
    });

    it('fails with a clear error when there is neither a relay nor settings', async () => {
      const ctx = await app();
      await expect(
        ctx.app.get(MailerService).send({ to: 'a@example.com', text: 'x' }),
      ).rejects.toMatchObject({ code: 'NO_SMTP_ROUTE' });
    });
  });

  describe('retries', () => {
    it('retries a 421 and succeeds', async () => {
      const server = await peer({ failFirst: { count: 1, code: 421, message: 'Try again later' } });
      const ctx = await app();
      await configure(ctx, basicFor(server));
      const events: MailEvent[] = [];
      ctx.app.get(MailerService).events$.subscribe((e) => events.push(e));
      await ctx.app.get(MailerService).send({ to: 'a@example.com', text: 'x' });
      expect(server.messages).toHaveLength(1);
      expect(events).toEqual([
        expect.objectContaining({ type: 'sent', attempts: 2, route: 'custom' }),
      ]);
    });

    it('fails a permanent 5xx at once', async () => {
      const server = await peer({ failFirst: { count: 5, code: 554, message: 'No' } });
      const ctx = await app();
      await configure(ctx, basicFor(server));
      const events: MailEvent[] = [];
      ctx.app.get(MailerService).events$.subscribe((e) => events.push(e));
      await expect(
        ctx.app.get(MailerService).send({ to: 'a@example.com', text: 'x' }),
      ).rejects.toMatchObject({ responseCode: 554 });
      expect(events).toEqual([expect.objectContaining({ type: 'failed', attempts: 1 })]);
      expect(await ctx.app.get(MailerService).status()).toMatchObject({
        route: 'custom',
        settingsVersion: 1,
        lastError: { code: 'EENVELOPE' },
      });
    });
  });

  it('moves to new settings under load without failing or duplicating a message', async () => {
    const a = await peer({ users: undefined });
    const b = await peer({ users: undefined });
    const ctx = await app();
    const mailer = ctx.app.get(MailerService);
    await configure(ctx, basicFor(a));
    // Ten waves of 50 concurrent sends, each racing a change of server.
    const sends: Array<Promise<unknown>> = [];
    for (let i = 0; i < 10; i++) {
      for (let j = 0; j < 50; j++) {
        sends.push(mailer.send({ to: 'a@example.com', subject: `m${i * 50 + j}`, text: 'x' }));
      }
      const next = i % 2 === 0 ? b : a;
      await configure(ctx, basicFor(next));
    }
    const results = await Promise.allSettled(sends);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const subjects = [...a.messages, ...b.messages].map((m) => m.headers.subject);
    expect(subjects).toHaveLength(500);
    expect(new Set(subjects).size).toBe(500);
    expect(b.messages.length).toBeGreaterThan(0);
    const after = await mailer.send({ to: 'a@example.com', subject: 'last', text: 'x' });
    expect(after.settingsVersion).toBe(11);
    expect(a.messages.at(-1)?.headers.subject).toBe('last');
  });

  it('builds one transporter for a burst of changes: the latest settings', async () => {
    const a = await peer({ users: undefined });
    const b = await peer({ users: undefined });
    const ctx = await app();
    const built = jest.spyOn(SmtpChannelFactory.prototype, 'custom');
    for (let i = 0; i < 10; i++) await configure(ctx, basicFor(i % 2 === 0 ? a : b));
    const result = await ctx.app.get(MailerService).send({ to: 'a@example.com', text: 'x' });
    expect(built).toHaveBeenCalledTimes(1);
    expect(built).toHaveBeenCalledWith('default', 10, expect.objectContaining({ port: b.port }));
    expect(result.settingsVersion).toBe(10);
    expect(b.messages).toHaveLength(1);
    built.mockRestore();
  });

  it('rejects CR/LF in headers and addresses before anything is sent', async () => {
    const server = await peer();
    const ctx = await app();
    await configure(ctx, basicFor(server));
    const mailer = ctx.app.get(MailerService);
    await expect(
      mailer.send({ to: 'a@example.com', subject: 'x\r\nBcc: evil@example.com', text: 'x' }),
    ).rejects.toMatchObject({ code: 'HEADER_INJECTION', field: 'subject' });
    await expect(
      mailer.send({ to: { name: 'A\nB', address: 'a@example.com' }, text: 'x' }),
    ).rejects.toMatchObject({ field: 'to' });
    await expect(
      mailer.send({
        to: 'a@example.com',
        headers: { 'X-Tag': 'a\r\nBcc: e@example.com' },
        text: 'x',
      }),
    ).rejects.toMatchObject({ field: 'headers.X-Tag' });
    expect(server.connections).toBe(0);
  });
});
