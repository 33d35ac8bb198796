import { Logger } from '@nestjs/common';
import request from 'supertest';
import { MailerService, type SmtpSettingsModuleOptions } from '../../lib';
import { ADMIN_TOKEN } from '../fixtures/admin.guard';
import {
  FakeGoogleToken,
  GMAIL_SCOPE,
  GOOGLE_TOKEN_AUDIENCE,
  newServiceAccountKey,
  type FakeServiceAccount,
} from '../fixtures/fake-google-token';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';

const AUTH = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const MAILBOX = 'notifications@example.com';
const SERVICE_ACCOUNT = 'mailer@example-project.iam.gserviceaccount.com';

describe('Google Workspace with a service account', () => {
  let google: FakeGoogleToken;
  let account: FakeServiceAccount;
  const peers: SmtpPeer[] = [];
  const apps: SettingsApp[] = [];
  const logs: string[] = [];

  beforeAll(async () => {
    for (const level of ['log', 'warn', 'error', 'debug', 'verbose'] as const) {
      jest
        .spyOn(Logger.prototype, level)
        .mockImplementation((...args: unknown[]) => void logs.push(args.map(String).join(' ')));
    }
    google = await FakeGoogleToken.start();
    account = await google.addServiceAccount(SERVICE_ACCOUNT);
    google.mailboxes.add(MAILBOX);
  });
  beforeEach(() => {
    google.tokenRequests = 0;
    google.expiresIn = 3599;
    google.assertions.length = 0;
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.app.close()));
    await Promise.all(peers.splice(0).map((p) => p.close()));
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await google.close();
    const text = logs.join('\n');
    for (const line of keyLines(account.privateKey)) expect(text).not.toContain(line);
    expect(text).not.toContain('ya29.fake-');
  });

  async function gmail(options: Parameters<typeof startSmtpPeer>[0] = {}): Promise<SmtpPeer> {
    const peer = await startSmtpPeer({
      tls: 'implicit',
      authMethods: ['XOAUTH2'],
      onAuth: google.smtpAuth(MAILBOX),
      ...options,
    });
    peers.push(peer);
    return peer;
  }

  async function googleApp(options: Partial<SmtpSettingsModuleOptions> = {}): Promise<SettingsApp> {
    const ctx = await createSettingsApp({
      tls: { ca: google.ca },
      retry: { attempts: 2, baseDelayMs: 5 },
      ...options,
      google: { tokenUrl: google.tokenUrl, ...options.google },
    });
    ctx.installed.add('smtp-oauth');
    apps.push(ctx);
    return ctx;
  }

  function googleFor(peer: SmtpPeer, extra: Record<string, unknown> = {}) {
    return {
      type: 'bearer',
      provider: 'google',
      hostname: peer.host,
      port: peer.port,
      useTls: true,
      tlsMode: 'implicit',
      username: MAILBOX,
      senderEmail: MAILBOX,
      serviceAccountEmail: SERVICE_ACCOUNT,
      privateKey: account.privateKey,
      ...extra,
    };
  }

  const http = (ctx: SettingsApp) => request(ctx.app.getHttpServer());

  async function configure(ctx: SettingsApp, body: Record<string, unknown>) {
    return http(ctx).put('/smtp-settings').set(AUTH).send(body).expect(200);
  }

  function expectNoKey(body: unknown): void {
    const text = JSON.stringify(body);
    for (const line of keyLines(account.privateKey)) expect(text).not.toContain(line);
    expect(text).not.toContain('ya29.fake-');
  }

  it('saves the private key with its line breaks and never returns it', async () => {
    const peer = await gmail();
    const ctx = await googleApp();
    expect(account.privateKey).toContain('\n');
    const saved = await configure(ctx, googleFor(peer));
    expect(saved.body.settings).toMatchObject({
      provider: 'google',
      serviceAccountEmail: SERVICE_ACCOUNT,
      privateKeySet: true,
    });
    expect(saved.body.settings).not.toHaveProperty('privateKey');
    expect(saved.body.warnings).toContainEqual(
      expect.stringContaining("127.0.0.1 is not Google's SMTP endpoint (smtp.gmail.com)"),
    );
    const got = await http(ctx).get('/smtp-settings').set(AUTH).expect(200);
    const history = await http(ctx).get('/smtp-settings/history').set(AUTH).expect(200);
    expect(history.body[0].changed).toContain('privateKey');
    for (const body of [saved.body, got.body, history.body]) expectNoKey(body);
  });

  it('sends with XOAUTH2 as the mailbox, with a token from the JWT bearer grant', async () => {
    const peer = await gmail();
    const ctx = await googleApp();
    await configure(ctx, googleFor(peer));
    const result = await ctx.app
      .get(MailerService)
      .send({ to: 'a@example.net', subject: 'Hello', text: 'x' });
    expect(result).toMatchObject({ route: 'custom', accepted: ['a@example.net'] });
    const [message] = await peer.waitForMessages(1);
    expect(message).toMatchObject({ user: MAILBOX, secure: true, envelope: { from: MAILBOX } });
    expect(peer.authAttempts).toEqual([
      expect.objectContaining({ method: 'XOAUTH2', username: MAILBOX, ok: true }),
    ]);
    expect(google.tokenRequests).toBe(1);
    const [{ header, claims }] = google.assertions;
    expect(header).toMatchObject({ alg: 'RS256' });
    expect(claims).toMatchObject({
      iss: SERVICE_ACCOUNT,
      sub: MAILBOX,
      scope: GMAIL_SCOPE,
      aud: GOOGLE_TOKEN_AUDIENCE,
    });
    expect((claims.exp as number) - (claims.iat as number)).toBeLessThanOrEqual(3600);
  });

  it('asks for one token for many messages over several connections, and again near expiry', async () => {
    const peer = await gmail();
    const ctx = await googleApp({ pool: { maxMessages: 1 } });
    await configure(ctx, googleFor(peer));
    const mailer = ctx.app.get(MailerService);
    await Promise.all(
      Array.from({ length: 6 }, (_, i) => mailer.send({ to: 'a@example.net', text: `m${i}` })),
    );
    expect(peer.messages).toHaveLength(6);
    expect(peer.connections).toBeGreaterThan(1);
    expect(google.tokenRequests).toBe(1);
  });

  it('renews a token the server refuses with 535 once, and retries the message', async () => {
    const peer = await gmail();
    const ctx = await googleApp({ pool: { maxMessages: 1 } });
    await configure(ctx, googleFor(peer));
    const mailer = ctx.app.get(MailerService);
    await mailer.send({ to: 'a@example.net', text: 'first' });
    google.revokeAll();
    const result = await mailer.send({ to: 'a@example.net', text: 'after revocation' });
    expect(result.accepted).toEqual(['a@example.net']);
    expect(google.tokenRequests).toBe(2);
    expect(peer.authAttempts.map((a) => a.ok)).toEqual([true, false, true]);
  });

  it('verifies the token, TLS and the sign-in, and sends a test email as the mailbox', async () => {
    const peer = await gmail();
    const ctx = await googleApp();
    const verify = await http(ctx)
      .post('/smtp-settings/verify')
      .set(AUTH)
      .send(googleFor(peer))
      .expect(200);
    expect(verify.body).toMatchObject({
      ok: true,
      stage: 'auth',
      message: expect.stringContaining('over implicit TLS and authenticated'),
    });
    expect(peer.messages).toHaveLength(0);
    await configure(ctx, googleFor(peer));
    const sent = await http(ctx)
      .post('/smtp-settings/test-email')
      .set(AUTH)
      .send({ to: 'admin@example.net' })
      .expect(200);
    expect(sent.body).toMatchObject({ ok: true, accepted: ['admin@example.net'] });
    expect((await peer.waitForMessages(1))[0]).toMatchObject({ user: MAILBOX });
    for (const body of [verify.body, sent.body]) expectNoKey(body);
  });

  describe("Google's refusals name the fix", () => {
    it('unauthorized_client: domain-wide delegation not granted for the scope', async () => {
      const undelegated = await google.addServiceAccount(
        'nodelegation@example-project.iam.gserviceaccount.com',
        [],
      );
      const peer = await gmail();
      const ctx = await googleApp();
      const res = await http(ctx)
        .post('/smtp-settings/verify')
        .set(AUTH)
        .send(
          googleFor(peer, {
            serviceAccountEmail: undelegated.clientEmail,
            privateKey: undelegated.privateKey,
          }),
        )
        .expect(200);
      expect(res.body).toMatchObject({
        ok: false,
        stage: 'token',
        code: 'unauthorized_client',
        field: 'serviceAccountEmail',
        message: expect.stringContaining('Domain-wide delegation'),
      });
      expect(res.body.message).toContain('https://mail.google.com/');
      expect(peer.connections).toBe(0);
      expect(JSON.stringify(res.body)).not.toContain(keyLines(undelegated.privateKey)[0]);
    });

    it('invalid_grant: a mailbox outside the domain', async () => {
      const peer = await gmail();
      const ctx = await googleApp();
      const res = await http(ctx)
        .post('/smtp-settings/verify')
        .set(AUTH)
        .send(googleFor(peer, { username: 'someone@elsewhere.example', senderEmail: MAILBOX }))
        .expect(200);
      expect(res.body).toMatchObject({
        ok: false,
        stage: 'token',
        code: 'invalid_grant',
        field: 'username',
        message: expect.stringContaining('not a user of the Google Workspace domain'),
      });
    });

    it('invalid_grant: a deleted key, and sending fails with the same message', async () => {
      const deleted = await newServiceAccountKey();
      const peer = await gmail();
      const ctx = await googleApp();
      await configure(ctx, googleFor(peer, { privateKey: deleted.privateKey }));
      const res = await http(ctx).post('/smtp-settings/verify').set(AUTH).expect(200);
      expect(res.body).toMatchObject({
        ok: false,
        stage: 'token',
        code: 'invalid_grant',
        field: 'privateKey',
        message: expect.stringContaining('the key was deleted'),
      });
      await expect(
        ctx.app.get(MailerService).send({ to: 'a@example.net', text: 'x' }),
      ).rejects.toMatchObject({ code: 'invalid_grant', field: 'privateKey' });
      expect(peer.messages).toHaveLength(0);
    });

    it('535 5.7.8 from Gmail: the token was not accepted for the mailbox', async () => {
      const peer = await gmail({
        onAuth: (_auth, _session, callback) =>
          callback(
            Object.assign(new Error('5.7.8 Username and Password not accepted.'), {
              responseCode: 535,
            }),
          ),
      });
      const ctx = await googleApp();
      const res = await http(ctx)
        .post('/smtp-settings/verify')
        .set(AUTH)
        .send(googleFor(peer))
        .expect(200);
      expect(res.body).toMatchObject({ ok: false, stage: 'auth', code: '535' });
      expect(res.body.message).toContain(`Gmail did not accept the access token for ${MAILBOX}`);
      expect(res.body.message).toContain('Domain-wide delegation');
      expect(peer.authAttempts).toHaveLength(1);
    });

    it("550 5.4.5: the mailbox's daily sending limit, named as Google's", async () => {
      const peer = await gmail({
        failFirst: { count: 1, code: 550, message: '5.4.5 Daily user sending limit exceeded.' },
      });
      const ctx = await googleApp();
      await configure(ctx, googleFor(peer));
      await expect(
        ctx.app.get(MailerService).send({ to: 'a@example.net', text: 'x' }),
      ).rejects.toMatchObject({
        message: expect.stringContaining('about 2,000 messages a day per mailbox'),
      });
      expect(peer.messages).toHaveLength(0);
    });
  });

  describe('the limit of 100 recipients per message', () => {
    const recipients = Array.from({ length: 101 }, (_, i) => `user${i}@example.net`);

    it('refuses a message to 101 recipients before sending, by default', async () => {
      const peer = await gmail();
      const ctx = await googleApp();
      await configure(ctx, googleFor(peer));
      await expect(
        ctx.app.get(MailerService).send({ to: recipients, text: 'x' }),
      ).rejects.toMatchObject({
        code: 'RECIPIENT_LIMIT_EXCEEDED',
        count: 101,
        limit: 100,
        message: expect.stringContaining('Google Workspace accepts at most 100'),
      });
      expect(peer.connections).toBe(0);
    });

    it('splits it into transactions of at most 100 with google.recipientPolicy split', async () => {
      const peer = await gmail();
      const ctx = await googleApp({ google: { recipientPolicy: 'split' } });
      await configure(ctx, googleFor(peer));
      await ctx.app.get(MailerService).send({ to: recipients, text: 'x' });
      const messages = await peer.waitForMessages(2);
      expect(messages.map((m) => m.envelope.to.length).sort((a, b) => a - b)).toEqual([1, 100]);
    });
  });

  describe('the stored private key', () => {
    it('is kept while nothing it was approved for changed', async () => {
      const peer = await gmail();
      const ctx = await googleApp();
      await configure(ctx, googleFor(peer));
      const { privateKey: _key, ...withoutKey } = googleFor(peer);
      const res = await configure(ctx, { ...withoutKey, senderName: 'Notifications' });
      expect(res.body.settings.privateKeySet).toBe(true);
      await ctx.app.get(MailerService).send({ to: 'a@example.net', text: 'x' });
      expect(peer.messages).toHaveLength(1);
    });

    it('must be entered again when the service account changes', async () => {
      const peer = await gmail();
      const ctx = await googleApp();
      await configure(ctx, googleFor(peer));
      const { privateKey: _key, ...withoutKey } = googleFor(peer);
      const res = await http(ctx)
        .put('/smtp-settings')
        .set(AUTH)
        .send({
          ...withoutKey,
          serviceAccountEmail: 'other@example-project.iam.gserviceaccount.com',
        })
        .expect(400);
      expect(res.body.errors).toEqual([
        {
          field: 'privateKey',
          message: 'privateKey must be re-entered because service account email changed',
        },
      ]);
    });
  });

  it('requires the smtp-oauth upgrade, and is offered once it is installed', async () => {
    const peer = await gmail();
    const ctx = await googleApp();
    ctx.installed.delete('smtp-oauth');
    const refused = await http(ctx)
      .put('/smtp-settings')
      .set(AUTH)
      .send(googleFor(peer))
      .expect(403);
    expect(refused.body).toMatchObject({ code: 'UPGRADE_REQUIRED' });
    expect(refused.body.message).toContain(
      'Security Enhancement - oAuth Enablement for SMTP services',
    );
    expectNoKey(refused.body);
    expect(await ctx.store.get('default')).toBeNull();
    ctx.installed.add('smtp-oauth');
    const capabilities = await http(ctx).get('/smtp-settings/capabilities').set(AUTH).expect(200);
    expect(capabilities.body.providers).toContain('google');
    expect(capabilities.body.defaults.providers.google).toEqual({
      hostname: 'smtp.gmail.com',
      port: 465,
      useTls: true,
    });
    expect(google.tokenRequests).toBe(0);
  });
});

/** The lines of a PEM key that carry key material. */
function keyLines(pem: string): string[] {
  return pem.split('\n').filter((line) => line.length >= 40);
}
