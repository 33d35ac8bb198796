import request from 'supertest';
import type { SMTPServerOptions } from 'smtp-server';
import { MailerService, type SmtpSettingsModuleOptions } from '../../lib';
import { ADMIN_TOKEN } from '../fixtures/admin.guard';
import { FakeEntraId } from '../fixtures/fake-entra-id';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';
import { startSmtpPeer, type SmtpPeer, type SmtpPeerOptions } from '../fixtures/smtp-peer';
import { trustedTestCa } from '../fixtures/test-ca';
import { basicSettingsFor, saveSettings } from '../fixtures/peer-settings';

const AUTH = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const USERS = { mailer: 'mailer-password' };
/**
 * verifyTimeoutMs. The peers that trip it never answer at all, so it sets how long those tests
 * take, not how they end; 2 s is far beyond what a loaded machine needs for a loopback reply.
 */
const TIMEOUT_MS = 2000;
const NO_AUTH_BEFORE_TLS =
  'the server offered no authentication on this connection; it may offer it only after STARTTLS: turn Send using TLS on';
const RELAY_DENIED =
  'this server did not accept you as an authenticated sender: use its submission port with authentication';
const SENDER_REFUSED = 'senderEmail must be an address that this account may send as';

/** Postfix writes the enhanced status code into the text itself; smtp-server must not add one. */
const POSTFIX_REPLIES: SMTPServerOptions = { hideENHANCEDSTATUSCODES: true };

/** Postfix submission with smtpd_tls_auth_only: AUTH is neither offered nor accepted before TLS. */
const AUTH_ONLY_AFTER_TLS: SMTPServerOptions = {
  ...POSTFIX_REPLIES,
  disabledCommands: ['AUTH'],
  onSecure(_socket, session, callback) {
    session.disabledCommands = [];
    callback();
  },
};

describe('Diagnosis: verify and test-email explain what a real server answered', () => {
  const peers: SmtpPeer[] = [];
  const apps: SettingsApp[] = [];
  const stalls = new Set<NodeJS.Timeout>();
  let ca: string;

  beforeAll(async () => {
    ca = (await trustedTestCa()).ca;
  });
  afterEach(async () => {
    stalls.forEach(clearTimeout);
    stalls.clear();
    await Promise.all(apps.splice(0).map((a) => a.app.close()));
    await Promise.all(peers.splice(0).map((p) => p.close()));
  });

  /** A server that takes its time with one reply; cleared after each test. */
  function stall(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        stalls.delete(timer);
        resolve();
      }, ms);
      stalls.add(timer);
    });
  }

  async function peer(options: SmtpPeerOptions = {}): Promise<SmtpPeer> {
    const started = await startSmtpPeer({ users: USERS, ...options });
    peers.push(started);
    return started;
  }

  async function app(options: Partial<SmtpSettingsModuleOptions> = {}): Promise<SettingsApp> {
    const created = await createSettingsApp({
      tls: { ca },
      verifyTimeoutMs: TIMEOUT_MS,
      retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
      ...options,
    });
    apps.push(created);
    return created;
  }

  /** An app whose only route is a relay at `server`, with no credentials. */
  function relayApp(server: SmtpPeer, transport: Record<string, unknown> = {}) {
    return app({
      relay: {
        transport: { host: server.host, port: server.port, ignoreTLS: true, ...transport },
        from: 'relay@vendor.example.com',
      },
    });
  }

  const basicFor = (target: SmtpPeer, extra: Record<string, unknown> = {}) =>
    basicSettingsFor(target, USERS.mailer, extra);

  const configure = (ctx: SettingsApp, body: Record<string, unknown>) =>
    saveSettings(ctx.app, body);

  async function verify(ctx: SettingsApp, body?: Record<string, unknown>) {
    const res = await request(ctx.app.getHttpServer())
      .post('/smtp-settings/verify')
      .set(AUTH)
      .send(body ?? {})
      .expect(200);
    return res.body as Record<string, unknown>;
  }

  async function testEmail(ctx: SettingsApp, to = 'admin@example.com') {
    const res = await request(ctx.app.getHttpServer())
      .post('/smtp-settings/test-email')
      .set(AUTH)
      .send({ to })
      .expect(200);
    return res.body as Record<string, unknown>;
  }

  describe('a submission port that offers AUTH only after STARTTLS', () => {
    const submission = () => peer({ tls: 'starttls', serverOptions: AUTH_ONLY_AFTER_TLS });

    it('fails verify at the auth stage when TLS is off, instead of calling it authenticated', async () => {
      const server = await submission();
      const ctx = await app();
      const result = await verify(ctx, basicFor(server, { useTls: false }));
      expect(result).toMatchObject({ ok: false, stage: 'auth', message: NO_AUTH_BEFORE_TLS });
      expect(server.authAttempts).toEqual([]);
    });

    it('fails test-email the same way and sends nothing', async () => {
      const server = await submission();
      const ctx = await app();
      await configure(ctx, basicFor(server, { useTls: false }));
      const result = await testEmail(ctx);
      expect(result).toMatchObject({ ok: false, stage: 'auth', message: NO_AUTH_BEFORE_TLS });
      expect(server.messages).toHaveLength(0);
    });

    it('says "authenticated" only once AUTH succeeded, over STARTTLS', async () => {
      const server = await submission();
      const ctx = await app();
      const result = await verify(ctx, basicFor(server));
      expect(result).toMatchObject({
        ok: true,
        stage: 'auth',
        code: null,
        message: `connected to ${server.host}:${server.port} with STARTTLS and authenticated`,
      });
      expect(server.authAttempts).toEqual([{ method: 'PLAIN', username: 'mailer', ok: true }]);
    });

    it('does not claim authentication for a relay that has no credentials', async () => {
      const server = await peer({ users: undefined });
      const ctx = await relayApp(server);
      const result = await verify(ctx);
      expect(result).toMatchObject({ ok: true, route: 'relay' });
      expect(result.message).toBe(
        `connected to ${server.host}:${server.port} without TLS; no authentication is configured`,
      );
    });
  });

  describe('a port that expects TLS from the first byte', () => {
    it.each([
      [true, 'set tlsMode to implicit'],
      [false, 'turn Send using TLS on and set tlsMode to implicit'],
    ])('is named as a TLS-mode mismatch when it never greets (useTls %s)', async (useTls, fix) => {
      const server = await peer({ tls: 'implicit' });
      const ctx = await app();
      const result = await verify(ctx, basicFor(server, { useTls, tlsMode: undefined }));
      expect(result).toMatchObject({
        ok: false,
        stage: 'tls',
        message: `${server.host}:${server.port} accepted the connection but never greeted: this port seems to expect TLS from the first byte: ${fix}`,
      });
      expect(server.connections).toBe(1);
    });

    it('answers test-email after one connection and one timeout, without retrying', async () => {
      const server = await peer({ tls: 'implicit' });
      const ctx = await app();
      await configure(ctx, basicFor(server, { tlsMode: undefined }));
      const result = await testEmail(ctx);
      expect(result).toMatchObject({
        ok: false,
        stage: 'tls',
        message: expect.stringContaining(
          'this port seems to expect TLS from the first byte: set tlsMode to implicit',
        ),
      });
      expect(server.connections).toBe(1);
    });
  });

  describe('envelope rejections are reported where they happened', () => {
    it('reports a sender the account may not send as at the sender stage', async () => {
      const server = await peer({
        tls: 'starttls',
        serverOptions: POSTFIX_REPLIES,
        onMailFrom: (address) => ({
          code: 553,
          message: `5.7.1 <${address}>: Sender address rejected: not owned by user mailer`,
        }),
      });
      const ctx = await app();
      await configure(ctx, basicFor(server));
      const result = await testEmail(ctx);
      expect(result).toMatchObject({ ok: false, stage: 'sender', code: '553' });
      expect(result.message).toContain(SENDER_REFUSED);
      expect(result.message).toContain('noreply@example.com');
    });

    it.each([
      [554, '5.7.1'],
      [454, '4.7.1'],
    ])('reports %s %s Relay access denied at the recipients stage', async (code, enhanced) => {
      const server = await peer({
        users: undefined,
        serverOptions: POSTFIX_REPLIES,
        onRcptTo: (address) => ({ code, message: `${enhanced} <${address}>: Relay access denied` }),
      });
      const ctx = await relayApp(server);
      const result = await testEmail(ctx);
      expect(result).toMatchObject({ ok: false, stage: 'recipients', code: String(code) });
      expect(result.message).toContain(RELAY_DENIED);
      expect(result.message).not.toMatch(/all recipients were rejected/);
    });

    it('names an unknown recipient and why it was refused', async () => {
      const server = await peer({
        tls: 'starttls',
        serverOptions: POSTFIX_REPLIES,
        onRcptTo: (address) => ({
          code: 550,
          message: `5.1.1 <${address}>: Recipient address rejected: User unknown in local recipient table`,
        }),
      });
      const ctx = await app();
      await configure(ctx, basicFor(server));
      const result = await testEmail(ctx, 'nobody@example.com');
      expect(result).toMatchObject({
        ok: false,
        stage: 'recipients',
        code: '550',
        message: expect.stringContaining('nobody@example.com'),
        refused: [
          {
            recipient: 'nobody@example.com',
            code: '550',
            message: expect.stringContaining('does not exist'),
          },
        ],
      });
    });
  });

  describe('replies are explained by their code and enhanced status code', () => {
    it('explains 530 5.7.0 Authentication required as authentication, not STARTTLS', async () => {
      const server = await peer({
        users: undefined,
        serverOptions: POSTFIX_REPLIES,
        onMailFrom: () => ({ code: 530, message: '5.7.0 Authentication required' }),
      });
      const ctx = await relayApp(server);
      const result = await testEmail(ctx);
      expect(result).toMatchObject({ ok: false, stage: 'auth', code: '530' });
      expect(result.message).toContain('requires authentication');
      expect(result.message).not.toContain('STARTTLS');
    });

    it('explains 530 5.7.0 Must issue a STARTTLS command first as STARTTLS required', async () => {
      const server = await peer({
        serverOptions: POSTFIX_REPLIES,
        onMailFrom: () => ({ code: 530, message: '5.7.0 Must issue a STARTTLS command first' }),
      });
      const ctx = await app();
      await configure(ctx, basicFor(server));
      const result = await testEmail(ctx);
      expect(result).toMatchObject({
        ok: false,
        stage: 'tls',
        code: '530',
        message: `port ${server.port} expects STARTTLS before anything else: turn Send using TLS on`,
      });
    });

    it.each([
      [
        'a message too big',
        'data' as const,
        552,
        '5.3.4 Message size exceeds fixed limit',
        'message',
        'larger than the server accepts',
      ],
      [
        'too many recipients',
        'rcpt' as const,
        452,
        '4.5.3 Error: too many recipients',
        'recipients',
        'fewer recipients',
      ],
      [
        'a server closing for now',
        'mail' as const,
        421,
        '4.7.0 Try again later, closing connection',
        'connect',
        'try again later',
      ],
      [
        'greylisting',
        'rcpt' as const,
        450,
        '4.2.0 <admin@example.com>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/',
        'recipients',
        'try again in a few minutes',
      ],
    ])('explains %s', async (_name, at, code, message, stage, words) => {
      const reply = () => ({ code, message });
      const server = await peer({
        users: undefined,
        serverOptions: POSTFIX_REPLIES,
        ...(at === 'data' ? { onData: reply } : at === 'rcpt' ? { onRcptTo: reply } : {}),
        ...(at === 'mail' ? { onMailFrom: reply } : {}),
      });
      const ctx = await relayApp(server);
      const result = await testEmail(ctx);
      expect(result).toMatchObject({ ok: false, stage, code: String(code) });
      expect(String(result.message).toLowerCase()).toContain(words);
    });
  });

  describe('test-email', () => {
    it('uses a fresh connection, never the pooled session, and closes it', async () => {
      // Like a Postfix reload: sessions opened before the fix keep the old sender map.
      let fixed = false;
      const stale = new Set<string>();
      const server = await peer({
        tls: 'starttls',
        serverOptions: POSTFIX_REPLIES,
        onMailFrom: (address, session) => {
          if (!fixed) stale.add(session.id);
          if (!stale.has(session.id)) return undefined;
          return { code: 553, message: `5.7.1 <${address}>: Sender address rejected: not owned` };
        },
      });
      const ctx = await app();
      await configure(ctx, basicFor(server));
      await expect(
        ctx.app.get(MailerService).send({ to: 'a@example.com', text: 'x' }),
      ).rejects.toThrow();
      const pooled = server.connections;
      expect(await testEmail(ctx)).toMatchObject({ ok: false, stage: 'sender' });
      expect(server.connections).toBe(pooled + 1);
      fixed = true;
      expect(await testEmail(ctx)).toMatchObject({ ok: true, route: 'custom' });
      expect(server.connections).toBe(pooled + 2);
      const [message] = await server.waitForMessages(1);
      expect(message!.envelope).toEqual({ from: 'noreply@example.com', to: ['admin@example.com'] });
      expect(message!.user).toBe('mailer');
    });

    it('sends with the configured sender and reply-to, and closes its connection', async () => {
      let closed!: () => void;
      const connectionClosed = new Promise<void>((resolve) => (closed = resolve));
      const server = await peer({ tls: 'starttls', serverOptions: { onClose: () => closed() } });
      const ctx = await app();
      await configure(ctx, basicFor(server, { replyTo: 'help@example.com', senderName: 'Ops' }));
      const result = await testEmail(ctx);
      expect(result).toMatchObject({
        ok: true,
        route: 'custom',
        settingsVersion: 1,
        accepted: ['admin@example.com'],
        rejected: [],
      });
      const [message] = await server.waitForMessages(1);
      expect(message!.headers.from).toBe('Ops <noreply@example.com>');
      expect(message!.headers.replyTo).toBe('help@example.com');
      expect(message!.headers.messageId).toBe(result.messageId);
      await connectionClosed;
      expect(server.connections).toBe(1);
    });

    it('stops waiting after three timeouts in all, though each reply came in time', async () => {
      // Four replies of one TIMEOUT_MS each: every one a whole TIMEOUT_MS inside the reply timeout
      // (twice TIMEOUT_MS), all four a whole TIMEOUT_MS past the deadline (three times), so
      // scheduling delays on a loaded machine cannot tip either comparison.
      const step = TIMEOUT_MS;
      const server = await peer({
        tls: 'starttls',
        onAuth: (auth, _session, callback) =>
          void stall(step).then(() => callback(null, { user: auth.username })),
        onMailFrom: () => stall(step),
        onRcptTo: () => stall(step),
        onData: () => stall(step),
      });
      const ctx = await app();
      await configure(ctx, basicFor(server));
      const result = await testEmail(ctx);
      // Only the deadline's abort is explained this way; a reply timeout would say ETIMEDOUT
      // without "may still arrive", and a late success would be ok: true.
      expect(result).toMatchObject({
        ok: false,
        stage: 'connect',
        code: 'ETIMEDOUT',
        message: expect.stringContaining('the email may still arrive'),
      });
      expect(server.authAttempts).toEqual([{ method: 'PLAIN', username: 'mailer', ok: true }]);
    });

    it('explains a failure against the route it used when the settings are deleted meanwhile', async () => {
      let ctx: SettingsApp | undefined;
      const server = await peer({
        onMailFrom: async () => {
          await request(ctx!.app.getHttpServer()).delete('/smtp-settings').set(AUTH).expect(204);
          return { code: 553, message: '5.7.1 Sender address rejected: not owned by user mailer' };
        },
      });
      ctx = await app();
      await configure(ctx, basicFor(server));
      const result = await testEmail(ctx);
      expect(result).toMatchObject({ ok: false, stage: 'sender', code: '553' });
      expect(result.message).toContain(SENDER_REFUSED);
    });

    it('verify explains against what it checked when the settings are deleted meanwhile', async () => {
      let ctx: SettingsApp | undefined;
      const server = await peer({
        onAuth: (_auth, _session, callback) => {
          void request(ctx!.app.getHttpServer())
            .delete('/smtp-settings')
            .set(AUTH)
            .then(() => callback(null, {}));
        },
      });
      ctx = await app();
      await configure(ctx, basicFor(server));
      expect(await verify(ctx)).toMatchObject({
        ok: false,
        stage: 'auth',
        route: 'custom',
        message: 'authentication failed: check username and password',
      });
    });

    it('answers a clear result, never a 500, when the secret cannot be opened', async () => {
      const server = await peer();
      const first = await app();
      await configure(first, basicFor(server));
      // Another key: the stored password cannot be opened.
      const second = await app({ store: first.store });
      const result = await testEmail(second);
      expect(result).toMatchObject({ ok: false, code: expect.any(String) });
      expect(server.connections).toBe(0);
    });

    it('fails closed on Bearer settings once the upgrade is removed', async () => {
      const entra = await FakeEntraId.start();
      try {
        const registered = entra.register({
          tenantId: '9a8b7c6d-aaaa-4bbb-8ccc-ddddeeeeffff',
          domain: 'contoso.onmicrosoft.com',
          clientId: '0b1e2f3a-1111-4222-8333-444455556666',
          clientSecret: 'entra-secret-value~2',
        });
        const mailbox = 'notifications@contoso.onmicrosoft.com';
        const server = await peer({
          users: undefined,
          tls: 'starttls',
          authMethods: ['XOAUTH2'],
          onAuth: entra.smtpAuth(mailbox),
        });
        const ctx = await app({
          microsoft: { authorityHost: entra.authorityHost },
        });
        ctx.installed.add('smtp-oauth');
        await configure(ctx, {
          type: 'bearer',
          provider: 'microsoft',
          hostname: server.host,
          port: server.port,
          username: mailbox,
          senderEmail: mailbox,
          clientId: registered.clientId,
          clientSecret: registered.clientSecret,
          tenantId: registered.tenantId,
          useTls: true,
        });
        expect(await testEmail(ctx)).toMatchObject({ ok: true });
        ctx.installed.delete('smtp-oauth');
        const tokens = entra.tokenRequests;
        const connections = server.connections;
        expect(await testEmail(ctx)).toMatchObject({ ok: false, code: 'UPGRADE_REQUIRED' });
        expect(server.connections).toBe(connections);
        expect(entra.tokenRequests).toBe(tokens);
      } finally {
        await Promise.all(apps.splice(0).map((a) => a.app.close()));
        await entra.close();
      }
    });

    it('accepts an intranet recipient such as admin@localhost', async () => {
      const server = await peer();
      const ctx = await app();
      await configure(ctx, basicFor(server));
      expect(await testEmail(ctx, 'admin@localhost')).toMatchObject({ ok: true });
      const [message] = await server.waitForMessages(1);
      expect(message!.envelope.to).toEqual(['admin@localhost']);
    });

    it('answers a bad address as an invalid request naming to, not as invalid settings', async () => {
      const ctx = await app();
      const res = await request(ctx.app.getHttpServer())
        .post('/smtp-settings/test-email')
        .set(AUTH)
        .send({ to: 'not an address' })
        .expect(400);
      expect(res.body).toMatchObject({
        statusCode: 400,
        code: 'INVALID_REQUEST',
        errors: [{ field: 'to', message: 'to must be a valid email address' }],
      });
    });
  });
});
