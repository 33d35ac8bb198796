import { Logger } from '@nestjs/common';
import type { Socket } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import request from 'supertest';
import { MailerService, type SmtpSettingsModuleOptions } from '../../lib';
import { ADMIN_TOKEN } from '../fixtures/admin.guard';
import { FakeEntraId, type FakeApp } from '../fixtures/fake-entra-id';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';
import { startSmtpPeer, type SmtpPeerOptions } from '../fixtures/smtp-peer';
import { trustedServerCert } from '../fixtures/test-ca';

const AUTH = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const MAILBOX = 'notifications@contoso.onmicrosoft.com';
const SENDER = 'noreply@contoso.onmicrosoft.com';
const PASSWORD = 'basic-password-9f31c2';
const CLIENT_ID = '0b1e2f3a-1111-4222-8333-444455556666';
const BASIC_OFF =
  'Microsoft is retiring Basic authentication for SMTP AUTH: it is off by default for existing tenants from the end of December 2026 (a tenant administrator can turn it back on for now), and Microsoft will announce the date of its final removal in 2027. Use Bearer (OAuth 2.0)';
const BASIC_RETIRED = [
  'Microsoft 365 no longer accepts Basic authentication (a password) for client submission',
  'switch this connection to Bearer (OAuth 2.0, with the upgrade "Security Enhancement - oAuth Enablement for SMTP services") or to Microsoft 365 through Microsoft Graph',
];

/** Exchange Online writes the enhanced status code into the text itself. */
const EXCHANGE_REPLIES: SMTPServerOptions = { hideENHANCEDSTATUSCODES: true };

type Kind = 'basic' | 'bearer';
type At = 'greeting' | 'auth' | 'mail' | 'rcpt' | 'data';

interface ReplyCase {
  kind: Kind;
  at: At;
  code: number;
  text: string;
  stage: string;
  /** What the explanation must name: the setting or the cmdlet. */
  words: string[];
}

/** Exchange Online's replies as it words them, where it sends them. */
const CASES: Record<string, ReplyCase> = {
  'SMTP AUTH disabled for the tenant (Bearer)': {
    kind: 'bearer',
    at: 'auth',
    code: 535,
    text: '5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.',
    stage: 'auth',
    words: [
      `Set-CASMailbox -Identity ${MAILBOX} -SmtpClientAuthenticationDisabled $false`,
      'Set-TransportConfig -SmtpClientAuthenticationDisabled $false',
    ],
  },
  'Basic authentication off (Basic)': {
    kind: 'basic',
    at: 'auth',
    code: 535,
    text: '5.7.139 Authentication unsuccessful, basic authentication is disabled.',
    stage: 'auth',
    words: BASIC_RETIRED,
  },
  'Basic authentication retired for client submission (Basic)': {
    kind: 'basic',
    at: 'auth',
    code: 550,
    text: '5.7.30 Basic authentication is not supported for Client Submission.',
    stage: 'auth',
    words: BASIC_RETIRED,
  },
  'an app not set up in Exchange (Bearer)': {
    kind: 'bearer',
    at: 'auth',
    code: 535,
    text: '5.7.3 Authentication unsuccessful [AM0PR06CA0126.eurprd06.prod.outlook.com]',
    stage: 'auth',
    words: [
      'SMTP.SendAsApp with admin consent',
      `New-ServicePrincipal -AppId ${CLIENT_ID}`,
      `Add-MailboxPermission -Identity ${MAILBOX}`,
    ],
  },
  'a wrong password (Basic)': {
    kind: 'basic',
    at: 'auth',
    code: 535,
    text: '5.7.3 Authentication unsuccessful',
    stage: 'auth',
    words: ['check username and password', 'multi-factor authentication'],
  },
  'a sender that is not the mailbox': {
    kind: 'basic',
    at: 'mail',
    code: 550,
    text: '5.7.60 SMTP; Client does not have permissions to send as this sender',
    stage: 'sender',
    words: [`Add-RecipientPermission -Identity ${SENDER} -Trustee ${MAILBOX} -AccessRights SendAs`],
  },
  'a token accepted for a mailbox the app cannot open': {
    kind: 'bearer',
    at: 'data',
    code: 554,
    text: '5.2.0 STOREDRV.Submission.Exception:AccessDeniedException.MapiExceptionLogonFailed; Failed to process message due to a permanent exception with message Cannot open mailbox.',
    stage: 'auth',
    words: [`New-ServicePrincipal -AppId ${CLIENT_ID}`, 'Add-MailboxPermission'],
  },
  'too many connections at the greeting': {
    kind: 'bearer',
    at: 'greeting',
    code: 421,
    text: '4.3.2 The maximum number of concurrent server connections has exceeded a limit, closing transmission channel',
    stage: 'connect',
    words: ['at most 3 connections', 'pool.maxConnections'],
  },
  'too many connections at submission': {
    kind: 'basic',
    at: 'data',
    code: 432,
    text: '4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded',
    stage: 'message',
    words: ['at most 3 connections'],
  },
  'server busy': {
    kind: 'bearer',
    at: 'mail',
    code: 451,
    text: '4.7.500 Server busy. Please try again later from [127.0.0.1]. (AS843)',
    stage: 'sender',
    words: ['throttling', 'sending retries after a pause'],
  },
  'unregistered domains': {
    kind: 'basic',
    at: 'rcpt',
    code: 550,
    text: '5.7.750 Service unavailable. Client blocked from sending from unregistered domains.',
    stage: 'recipients',
    words: ['add and verify', 'Microsoft 365 admin center', 'Microsoft support'],
  },
  'a tenant blocked from sending': {
    kind: 'bearer',
    at: 'data',
    code: 550,
    text: '5.7.708 Service unavailable. Access denied, traffic not accepted from this IP.',
    stage: 'message',
    words: ['blocks this tenant from sending', 'Microsoft support'],
  },
};

describe("Microsoft 365's SMTP errors, explained with the fix", () => {
  let entra: FakeEntraId;
  let app: FakeApp;
  const peers: Array<{ close(): Promise<void> }> = [];
  const apps: SettingsApp[] = [];
  const logs: string[] = [];

  beforeAll(async () => {
    for (const level of ['log', 'warn', 'error', 'debug', 'verbose'] as const) {
      jest
        .spyOn(Logger.prototype, level)
        .mockImplementation((...args: unknown[]) => void logs.push(args.map(String).join(' ')));
    }
    entra = await FakeEntraId.start();
    app = entra.register({
      tenantId: '9a8b7c6d-aaaa-4bbb-8ccc-ddddeeeeffff',
      domain: 'contoso.onmicrosoft.com',
      clientId: CLIENT_ID,
      clientSecret: 'entra-secret-value~3',
    });
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.app.close()));
    await Promise.all(peers.splice(0).map((p) => p.close()));
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await entra.close();
    const text = logs.join('\n');
    expect(text).not.toContain('entra-secret-value');
    expect(text).not.toContain(PASSWORD);
  });

  /** Exchange Online over STARTTLS: XOAUTH2 for Bearer, a password for Basic, then `reply`. */
  async function exchange(kind: Kind, reply?: Pick<ReplyCase, 'at' | 'code' | 'text'>) {
    const answer = reply && (() => ({ code: reply.code, message: reply.text }));
    const refuse: SmtpPeerOptions['onAuth'] = (_auth, _session, callback) =>
      callback(Object.assign(new Error(reply?.text), { responseCode: reply?.code }));
    const options: SmtpPeerOptions = {
      tls: 'starttls',
      serverOptions: EXCHANGE_REPLIES,
      ...(kind === 'bearer'
        ? { authMethods: ['XOAUTH2'], onAuth: entra.smtpAuth(MAILBOX) }
        : { users: { [MAILBOX]: PASSWORD } }),
      ...(reply?.at === 'auth' ? { onAuth: refuse } : {}),
      ...(reply?.at === 'mail' ? { onMailFrom: answer } : {}),
      ...(reply?.at === 'rcpt' ? { onRcptTo: answer } : {}),
      ...(reply?.at === 'data' ? { onData: answer } : {}),
    };
    const peer = await startSmtpPeer(options);
    peers.push(peer);
    return peer;
  }

  /** A server that greets with `code text` and closes, as Exchange Online does when it is full. */
  async function refusingAtGreeting(code: number, text: string) {
    const cert = await trustedServerCert();
    const sockets = new Set<Socket>();
    const server = new SMTPServer({
      ...EXCHANGE_REPLIES,
      logger: false,
      key: cert.key,
      cert: cert.cert,
      onConnect: (_session, callback) =>
        callback(Object.assign(new Error(text), { responseCode: code })),
    });
    server.server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    server.on('error', () => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.server.address() as { port: number };
    peers.push({
      close: () => {
        for (const socket of sockets) socket.destroy();
        return new Promise<void>((resolve) => server.close(() => resolve()));
      },
    });
    return { host: '127.0.0.1', port };
  }

  async function settingsApp(options: Partial<SmtpSettingsModuleOptions> = {}) {
    const ctx = await createSettingsApp({
      tls: { ca: entra.ca },
      // verifyTimeoutMs stays at its default: every peer here answers, so the timeout only bounds
      // ordinary work, and a loaded machine must never run into it.
      retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
      microsoft: { authorityHost: entra.authorityHost },
      ...options,
    });
    ctx.installed.add('smtp-oauth');
    apps.push(ctx);
    return ctx;
  }

  function settingsFor(kind: Kind, server: { host: string; port: number }) {
    const common = { hostname: server.host, port: server.port, username: MAILBOX, useTls: true };
    return kind === 'bearer'
      ? {
          ...common,
          type: 'bearer',
          provider: 'microsoft',
          senderEmail: MAILBOX,
          clientId: app.clientId,
          clientSecret: app.clientSecret,
          tenantId: app.tenantId,
        }
      : { ...common, type: 'basic', password: PASSWORD, senderEmail: SENDER };
  }

  async function configured(kind: Kind, server: { host: string; port: number }) {
    const ctx = await settingsApp();
    await request(ctx.app.getHttpServer())
      .put('/smtp-settings')
      .set(AUTH)
      .send(settingsFor(kind, server))
      .expect(200);
    return ctx;
  }

  async function post(ctx: SettingsApp, path: string, body: object) {
    const res = await request(ctx.app.getHttpServer()).post(path).set(AUTH).send(body).expect(200);
    return res.body as { ok: boolean; stage: string; code: string; message: string };
  }

  async function serverFor(reply: ReplyCase) {
    return reply.at === 'greeting'
      ? refusingAtGreeting(reply.code, reply.text)
      : exchange(reply.kind, reply);
  }

  describe.each(Object.entries(CASES))('%s', (_name, reply) => {
    const explained = (message: string) => {
      for (const word of reply.words) expect(message).toContain(word);
      expect(message).toContain(`${reply.code} ${reply.text.slice(0, 20)}`);
    };

    if (reply.at === 'greeting' || reply.at === 'auth') {
      it('verify names the fix at its stage', async () => {
        const ctx = await configured(reply.kind, await serverFor(reply));
        const result = await post(ctx, '/smtp-settings/verify', {});
        expect(result).toMatchObject({ ok: false, stage: reply.stage, code: String(reply.code) });
        explained(result.message);
      });
    }

    it('test-email names the fix at its stage', async () => {
      const ctx = await configured(reply.kind, await serverFor(reply));
      const result = await post(ctx, '/smtp-settings/test-email', { to: 'admin@example.com' });
      expect(result).toMatchObject({ ok: false, stage: reply.stage, code: String(reply.code) });
      explained(result.message);
    });

    it('MailerService.send fails with the same explanation', async () => {
      const ctx = await configured(reply.kind, await serverFor(reply));
      const sending = ctx.app.get(MailerService).send({ to: 'a@example.com', text: 'x' });
      await expect(sending).rejects.toMatchObject({
        stage: reply.stage,
        responseCode: reply.code,
      });
      explained(String(((await sending.catch((error: unknown) => error)) as Error).message));
    });
  });

  it.each([
    [
      '451 4.7.500 server busy',
      'mail' as const,
      451,
      '4.7.500 Server busy. Please try again later',
    ],
    [
      '432 4.3.2 too many connections',
      'data' as const,
      432,
      '4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded',
    ],
  ])('retries %s, then delivers', async (_name, at, code, text) => {
    const peer = await startSmtpPeer({
      tls: 'starttls',
      serverOptions: EXCHANGE_REPLIES,
      authMethods: ['XOAUTH2'],
      onAuth: entra.smtpAuth(MAILBOX),
      failFirst: { count: 1, code, message: text, at },
    });
    peers.push(peer);
    const ctx = await configured('bearer', peer);
    const result = await ctx.app.get(MailerService).send({ to: 'a@example.com', text: 'x' });
    expect(result.accepted).toEqual(['a@example.com']);
    expect(peer.messages).toHaveLength(1);
  });

  describe('Basic settings at Microsoft 365', () => {
    async function warningsFor(body: Record<string, unknown>): Promise<string[]> {
      const ctx = await settingsApp();
      const http = ctx.app.getHttpServer();
      await request(http).put('/smtp-settings').set(AUTH).send(body).expect(200);
      const res = await request(http).get('/smtp-settings').set(AUTH).expect(200);
      return (res.body as { warnings: string[] }).warnings;
    }
    const at = (hostname: string) => ({ host: hostname, port: 587 });

    it.each([
      'smtp.office365.com',
      'SMTP.Office365.com',
      'smtp-legacy.office365.com',
      'smtp-mail.outlook.com',
    ])('carry the end-of-Basic warning in GET /smtp-settings (%s)', async (hostname) => {
      expect(await warningsFor(settingsFor('basic', at(hostname)))).toContain(BASIC_OFF);
    });

    it('leave Bearer settings and other servers without it', async () => {
      expect(await warningsFor(settingsFor('bearer', at('smtp.office365.com')))).not.toContain(
        BASIC_OFF,
      );
      expect(await warningsFor(settingsFor('basic', at('mail.example.com')))).not.toContain(
        BASIC_OFF,
      );
    });
  });
});
