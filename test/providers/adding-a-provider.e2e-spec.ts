import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { InMemorySmtpSettingsStore, MailerService, SmtpSettingsModule } from '../../lib';
import { SMTP_SETTINGS_MAIL_PROVIDERS } from '../../lib/options/smtp-settings.constants';
import { MAIL_PROVIDERS } from '../../lib/providers/mail-providers';
import { ADMIN_TOKEN, TestAdminGuard } from '../fixtures/admin.guard';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';
import { exampleProvider } from './example-provider/example.descriptor';

/*
 * Adding a provider is one folder and one registry line: the folder here is
 * test/providers/example-provider/ (a DTO, a token source, a descriptor), and the line is the
 * registry with it added, provided as the module's SMTP_SETTINGS_MAIL_PROVIDERS. Nothing in lib/
 * names it, yet the REST API validates it, seals its secret, and the mailer sends through it.
 */

const AUTH = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const MAILBOX = 'news@example.net';
const ACCOUNT = 'acct-42';
const SECRET = 'example-secret~1';

describe('Adding a provider: one folder and one registry line', () => {
  let tokenServer: Server;
  let tokenUrl: string;
  const issued = new Set<string>();
  let peer: SmtpPeer;
  let app: INestApplication;
  let store: InMemorySmtpSettingsStore;

  beforeAll(async () => {
    // Example Mail's token endpoint: a token for the right account and secret, nothing otherwise.
    tokenServer = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const { accountId, clientSecret } = JSON.parse(body) as Record<string, string>;
        if (accountId !== ACCOUNT || clientSecret !== SECRET) return void res.writeHead(401).end();
        const token = `example-token-${issued.size + 1}`;
        issued.add(token);
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ access_token: token, expires_in: 3600 }));
      });
    });
    await new Promise<void>((resolve) => tokenServer.listen(0, '127.0.0.1', resolve));
    tokenUrl = `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}/token`;
    peer = await startSmtpPeer({
      tls: 'implicit',
      authMethods: ['XOAUTH2'],
      onAuth: (auth, _session, callback) =>
        auth.method === 'XOAUTH2' && auth.username === MAILBOX && issued.has(auth.accessToken!)
          ? callback(null, { user: MAILBOX })
          : callback(Object.assign(new Error('5.7.8 token not accepted'), { responseCode: 535 })),
    });
    store = new InMemorySmtpSettingsStore();
    const moduleRef = await Test.createTestingModule({
      imports: [
        SmtpSettingsModule.forRoot({
          store,
          encryptionKey: randomBytes(32).toString('base64'),
          guards: [TestAdminGuard],
          upgrades: ['smtp-oauth'],
          tls: { ca: peer.ca! },
        }),
      ],
    })
      // The one registry line.
      .overrideProvider(SMTP_SETTINGS_MAIL_PROVIDERS)
      .useValue([...MAIL_PROVIDERS, exampleProvider(tokenUrl)])
      .compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
    await peer?.close();
    // fetch keeps its connection alive: close it, or close() waits for it to idle out.
    tokenServer.closeAllConnections();
    await new Promise<void>((resolve) => tokenServer.close(() => resolve()));
  });

  const http = () => request(app.getHttpServer());
  const body = (extra: Record<string, unknown> = {}) => ({
    type: 'bearer',
    provider: 'example',
    hostname: peer.host,
    port: peer.port,
    useTls: true,
    tlsMode: 'implicit',
    username: MAILBOX,
    senderEmail: MAILBOX,
    accountId: ACCOUNT,
    clientSecret: SECRET,
    ...extra,
  });

  it('offers it to the admin page, with its proposal', async () => {
    const res = await http().get('/smtp-settings/capabilities').set(AUTH).expect(200);
    expect(res.body.providers).toEqual(['microsoft', 'microsoft-graph', 'google', 'example']);
    expect(res.body.defaults.providers.example).toEqual({
      hostname: 'smtp.example.net',
      port: 465,
      useTls: true,
    });
  });

  it('validates its fields with errors that name them, its id among the providers, and TLS', async () => {
    const res = await http()
      .put('/smtp-settings')
      .set(AUTH)
      .send(body({ accountId: 'forty-two', username: 'not a mailbox', useTls: false }))
      .expect(400);
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        { field: 'accountId', message: 'accountId must look like acct-123' },
        {
          field: 'username',
          message: 'username must be the email address of an Example Mail mailbox',
        },
      ]),
    );
    const unknown = await http()
      .put('/smtp-settings')
      .set(AUTH)
      .send(body({ provider: 'exampel' }))
      .expect(400);
    expect(unknown.body.errors).toContainEqual({
      field: 'provider',
      message: 'provider must be microsoft, microsoft-graph, google or example',
    });
    const tls = await http()
      .put('/smtp-settings')
      .set(AUTH)
      .send(body({ useTls: false }));
    expect(tls.status).toBe(400);
    expect(tls.body.errors).toEqual([
      {
        field: 'useTls',
        message:
          'Bearer authentication requires useTls to be on: the Example Mail access token must never be sent without TLS',
      },
    ]);
  });

  it('seals its secret, never returns it, and asks for it again when its account changes', async () => {
    const saved = await http().put('/smtp-settings').set(AUTH).send(body()).expect(200);
    expect(saved.body.settings).toMatchObject({ provider: 'example', clientSecretSet: true });
    expect(saved.body.settings).not.toHaveProperty('clientSecret');
    const record = await store.get('default');
    const sealed = (record!.settings as unknown as { clientSecret: string }).clientSecret;
    expect(sealed).toMatch(/^enc:v2:/);
    expect(sealed).not.toContain(SECRET);

    const { clientSecret: _secret, ...withoutSecret } = body();
    await http()
      .put('/smtp-settings')
      .set(AUTH)
      .send({ ...withoutSecret, senderName: 'News' })
      .expect(200);
    const moved = await http()
      .put('/smtp-settings')
      .set(AUTH)
      .send({ ...withoutSecret, accountId: 'acct-7' })
      .expect(400);
    expect(moved.body.errors).toEqual([
      {
        field: 'clientSecret',
        message: 'clientSecret must be re-entered because account ID changed',
      },
    ]);
  });

  it('verifies it and sends a message through it to the SMTP server, signed in with its token', async () => {
    await http().put('/smtp-settings').set(AUTH).send(body()).expect(200);
    const verify = await http().post('/smtp-settings/verify').set(AUTH).send({}).expect(200);
    expect(verify.body).toMatchObject({ ok: true, stage: 'auth', route: 'custom' });

    const before = peer.messages.length;
    const sent = await app.get(MailerService).send({ to: 'reader@example.com', subject: 'Hello' });
    expect(sent).toMatchObject({ route: 'custom', accepted: ['reader@example.com'] });
    const [message] = (await peer.waitForMessages(before + 1)).slice(before);
    expect(message).toMatchObject({ user: MAILBOX, secure: true });
    expect(message!.headers.subject).toBe('Hello');
    expect(peer.authAttempts.at(-1)).toMatchObject({ method: 'XOAUTH2', ok: true });
  });
});
