import { Logger } from '@nestjs/common';
import { createPrivateKey } from 'node:crypto';
import request from 'supertest';
import { MailerService, type SmtpSettingsModuleOptions } from '../../lib';
import { ADMIN_TOKEN } from '../fixtures/admin.guard';
import { appCertificate, type AppCertificate } from '../fixtures/app-certificate';
import { JWT_BEARER } from '../fixtures/client-assertion';
import { FakeEntraId, type FakeApp } from '../fixtures/fake-entra-id';
import { FakeGraph } from '../fixtures/fake-graph';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';

const AUTH = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const MAILBOX = 'notifications@contoso.onmicrosoft.com';

/**
 * Microsoft 365 with a certificate credential: the app signs a client assertion with the key, and
 * the fake Entra ID verifies it for real (signature by the uploaded certificate's key, x5t#S256,
 * aud, iss = sub, exp, a fresh jti) before it issues the token that the SMTP peer or Graph accepts.
 */
describe('Microsoft 365 with a certificate credential', () => {
  let entra: FakeEntraId;
  let app: FakeApp;
  let uploaded: AppCertificate;
  let notUploaded: AppCertificate;
  const peers: SmtpPeer[] = [];
  const apps: SettingsApp[] = [];
  const logs: string[] = [];

  beforeAll(async () => {
    for (const level of ['log', 'warn', 'error', 'debug', 'verbose'] as const) {
      jest
        .spyOn(Logger.prototype, level)
        .mockImplementation((...args: unknown[]) => void logs.push(args.map(String).join(' ')));
    }
    [uploaded, notUploaded] = await Promise.all([
      appCertificate({ commonName: 'contoso-mailer' }),
      appCertificate({ commonName: 'someone-else' }),
    ]);
  });
  beforeEach(async () => {
    entra = await FakeEntraId.start();
    app = entra.register({
      tenantId: '9a8b7c6d-aaaa-4bbb-8ccc-ddddeeeeffff',
      clientId: '0b1e2f3a-1111-4222-8333-444455556666',
      certificates: [uploaded.certificate],
    });
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.app.close()));
    await Promise.all(peers.splice(0).map((p) => p.close()));
    await entra.close();
  });
  afterAll(() => {
    jest.restoreAllMocks();
    const text = logs.join('\n');
    for (const line of keyLines(uploaded)) expect(text).not.toContain(line);
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

  function smtpBody(peer: SmtpPeer, certificate: AppCertificate = uploaded) {
    return {
      type: 'bearer',
      provider: 'microsoft',
      hostname: peer.host,
      port: peer.port,
      useTls: true,
      username: MAILBOX,
      senderEmail: MAILBOX,
      clientId: app.clientId,
      tenantId: app.tenantId,
      clientCertificate: {
        certificate: certificate.certificate,
        privateKey: certificate.privateKey,
      },
    };
  }

  const http = (ctx: SettingsApp) => request(ctx.app.getHttpServer());

  it('saves the certificate, shows who it is and until when, and never the key', async () => {
    const peer = await exchange();
    const ctx = await bearerApp();
    const put = await http(ctx).put('/smtp-settings').set(AUTH).send(smtpBody(peer)).expect(200);
    const get = await http(ctx).get('/smtp-settings').set(AUTH).expect(200);
    for (const body of [put.body, get.body]) {
      expect(body.settings).toMatchObject({
        provider: 'microsoft',
        clientCertificate: {
          subject: 'CN=contoso-mailer',
          thumbprintSha256: uploaded.thumbprintSha256,
          notAfter: uploaded.notAfter.toISOString(),
        },
        clientCertificateSet: true,
      });
      expect(body.settings).not.toHaveProperty('clientSecretSet');
      expect(body.settings.clientCertificate).not.toHaveProperty('privateKey');
      expect(body.settings.clientCertificate).not.toHaveProperty('certificate');
      expect(body.warnings).toEqual([expect.stringContaining('is not a known Microsoft 365 SMTP')]);
      for (const line of keyLines(uploaded)) expect(JSON.stringify(body)).not.toContain(line);
    }
    const record = await ctx.store.get('default');
    const stored = (record!.settings as { clientCertificate: Record<string, string> })
      .clientCertificate;
    expect(stored.privateKey).toMatch(/^enc:v2:/);
    expect(stored.certificate).toBe(uploaded.certificate);
  });

  it('sends over SMTP with a token for a client assertion that Entra ID verified', async () => {
    const peer = await exchange();
    const ctx = await bearerApp();
    await http(ctx).put('/smtp-settings').set(AUTH).send(smtpBody(peer)).expect(200);
    const result = await ctx.app
      .get(MailerService)
      .send({ to: 'a@example.com', subject: 'Hello', text: 'x' });
    expect(result).toMatchObject({ route: 'custom', accepted: ['a@example.com'] });
    expect(peer.authAttempts).toEqual([
      expect.objectContaining({ method: 'XOAUTH2', username: MAILBOX, ok: true }),
    ]);
    expect(entra.tokenRequests).toBe(1);
    const [assertion] = entra.assertions;
    expect(assertion!.header).toMatchObject({
      alg: 'PS256',
      'x5t#S256': Buffer.from(uploaded.thumbprintSha256, 'hex').toString('base64url'),
      // The certificate itself, so that Entra ID can accept a renewed one of the same subject.
      x5c: [der(uploaded)],
    });
    expect(assertion!.payload).toMatchObject({
      aud: `${entra.authorityHost}/${app.tenantId}/oauth2/v2.0/token`,
      iss: app.clientId,
      sub: app.clientId,
    });
    expect(JWT_BEARER).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
  });

  it('shares one token among messages, and signs a fresh assertion when the token is refused', async () => {
    const peer = await exchange();
    const ctx = await bearerApp({ pool: { maxMessages: 1 } });
    await http(ctx).put('/smtp-settings').set(AUTH).send(smtpBody(peer)).expect(200);
    const mailer = ctx.app.get(MailerService);
    await Promise.all([1, 2, 3].map((i) => mailer.send({ to: 'a@example.com', text: `m${i}` })));
    expect(entra.tokenRequests).toBe(1);
    // Within the 10 minutes of the first assertion: MSAL would send it again, Entra ID refuses a
    // replayed jti, so a second token needs a second assertion.
    entra.revokeAll();
    const result = await mailer.send({ to: 'a@example.com', text: 'after revocation' });
    expect(result.accepted).toEqual(['a@example.com']);
    expect(entra.tokenRequests).toBe(2);
    const jtis = entra.assertions.map((a) => a.payload.jti);
    expect(new Set(jtis).size).toBe(2);
  });

  it('verifies and sends the test email with the certificate', async () => {
    const peer = await exchange();
    const ctx = await bearerApp();
    const verify = await http(ctx)
      .post('/smtp-settings/verify')
      .set(AUTH)
      .send(smtpBody(peer))
      .expect(200);
    expect(verify.body).toMatchObject({ ok: true, stage: 'auth' });
    await http(ctx).put('/smtp-settings').set(AUTH).send(smtpBody(peer)).expect(200);
    const sent = await http(ctx)
      .post('/smtp-settings/test-email')
      .set(AUTH)
      .send({ to: 'admin@example.net' })
      .expect(200);
    expect(sent.body).toMatchObject({ ok: true, accepted: ['admin@example.net'] });
    expect((await peer.waitForMessages(1))[0]).toMatchObject({ user: MAILBOX });
    expect(entra.assertions).toHaveLength(2);
  });

  it('signs with a PKCS#1 key (-----BEGIN RSA PRIVATE KEY-----) as well', async () => {
    const peer = await exchange();
    const ctx = await bearerApp();
    const pkcs1 = createPrivateKey(uploaded.privateKey)
      .export({ type: 'pkcs1', format: 'pem' })
      .toString();
    const body = smtpBody(peer);
    body.clientCertificate.privateKey = pkcs1;
    const verify = await http(ctx).post('/smtp-settings/verify').set(AUTH).send(body).expect(200);
    expect(verify.body).toMatchObject({ ok: true, stage: 'auth' });
    expect(entra.assertions).toHaveLength(1);
  });

  describe("Entra ID's refusals name the field", () => {
    async function verifyWith(body: Record<string, unknown>) {
      const ctx = await bearerApp();
      const res = await http(ctx).post('/smtp-settings/verify').set(AUTH).send(body).expect(200);
      return { ctx, body: res.body as Record<string, unknown> };
    }

    it('AADSTS700027: a certificate that is not uploaded to the app', async () => {
      const peer = await exchange();
      const { body } = await verifyWith(smtpBody(peer, notUploaded));
      expect(body).toMatchObject({
        ok: false,
        stage: 'token',
        code: 'AADSTS700027',
        field: 'clientCertificate',
        message: expect.stringContaining('clientCertificate is not registered on the app'),
      });
      expect(peer.connections).toBe(0);
    });

    it('AADSTS700024: a clock that is off, and sending fails with the same words', async () => {
      const peer = await exchange();
      const ctx = await bearerApp();
      await http(ctx).put('/smtp-settings').set(AUTH).send(smtpBody(peer)).expect(200);
      entra.clockSkewMs = 15 * 60_000;
      await expect(
        ctx.app.get(MailerService).send({ to: 'a@example.com', text: 'x' }),
      ).rejects.toMatchObject({
        code: 'AADSTS700024',
        field: 'clientCertificate',
        message: expect.stringContaining("this server's clock is off"),
      });
      expect(peer.messages).toHaveLength(0);
    });

    it('AADSTS7000274: a signature Entra ID cannot verify', async () => {
      const peer = await exchange();
      entra.refuseNext(7000274, 'Client assertion contains an invalid signature.');
      const { body } = await verifyWith(smtpBody(peer));
      expect(body).toMatchObject({
        ok: false,
        stage: 'token',
        code: 'AADSTS7000274',
        field: 'clientCertificate.privateKey',
        message: expect.stringContaining('RSA key of at least 2048 bits'),
      });
    });
  });

  describe('through Microsoft Graph', () => {
    let graph: FakeGraph;
    beforeEach(async () => {
      graph = await FakeGraph.start(entra);
      graph.addMailbox(MAILBOX);
    });
    afterEach(async () => {
      await Promise.all(apps.splice(0).map((a) => a.app.close()));
      await graph.close();
    });

    function graphBody() {
      return {
        type: 'bearer',
        provider: 'microsoft-graph',
        username: MAILBOX,
        senderEmail: MAILBOX,
        clientId: app.clientId,
        tenantId: app.tenantId,
        clientCertificate: { certificate: uploaded.certificate, privateKey: uploaded.privateKey },
      };
    }

    it('sends as the mailbox with a token for Graph, and verifies', async () => {
      const ctx = await bearerApp({ microsoft: { graphHost: graph.host } });
      await http(ctx).put('/smtp-settings').set(AUTH).send(graphBody()).expect(200);
      const result = await ctx.app
        .get(MailerService)
        .send({ to: 'a@example.com', subject: 'Graph', text: 'x' });
      expect(result).toMatchObject({ route: 'custom', accepted: ['a@example.com'] });
      const [message] = await graph.waitForMessages(1);
      expect(message!.mailbox).toBe(MAILBOX);
      expect(entra.requestedScopes).toEqual([`${graph.host}/.default`]);
      expect(entra.assertions[0]!.payload.iss).toBe(app.clientId);
      const verify = await http(ctx).post('/smtp-settings/verify').set(AUTH).send({}).expect(200);
      expect(verify.body).toMatchObject({ ok: true, stage: 'mailbox' });
    });
  });
});

/** The certificate's DER in base64, as `x5c` carries it. */
function der(certificate: AppCertificate): string {
  return certificate.certificate.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
}

/** The key's lines of base64: none may appear anywhere. */
function keyLines(certificate: AppCertificate): string[] {
  return certificate.privateKey.split('\n').filter((l) => l.length >= 8 && !l.startsWith('-----'));
}
