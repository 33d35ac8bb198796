import { Logger } from '@nestjs/common';
import request from 'supertest';
import {
  LiveSmtpTransport,
  MailerService,
  type MailEvent,
  type SmtpSettingsModuleOptions,
} from '../../lib';
import { ADMIN_TOKEN } from '../fixtures/admin.guard';
import { FakeEntraId, type FakeApp } from '../fixtures/fake-entra-id';
import { FakeGraph, type FakeMailboxState } from '../fixtures/fake-graph';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';

/** Timer rounding between the fake Graph's clock reads and the client's sleep. */
const ROUNDING_MS = 5;

const AUTH = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const MAILBOX = 'notifications@contoso.onmicrosoft.com';
const SECRET = 'graph-secret-value~1';

describe('Microsoft 365 through Microsoft Graph sendMail', () => {
  let entra: FakeEntraId;
  let graph: FakeGraph;
  let app: FakeApp;
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
      clientId: '0b1e2f3a-1111-4222-8333-444455556666',
      clientSecret: SECRET,
    });
    graph = await FakeGraph.start(entra);
    graph.addMailbox(MAILBOX);
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.app.close()));
    await graph.close();
    await entra.close();
  });
  afterAll(() => {
    jest.restoreAllMocks();
    const text = logs.join('\n');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('fake-at.');
  });

  async function graphApp(options: Partial<SmtpSettingsModuleOptions> = {}): Promise<SettingsApp> {
    const ctx = await createSettingsApp({
      tls: { ca: entra.ca },
      retry: { attempts: 3, baseDelayMs: 5 },
      ...options,
      microsoft: {
        authorityHost: entra.authorityHost,
        graphHost: graph.host,
        ...options.microsoft,
      },
    });
    ctx.installed.add('smtp-oauth');
    apps.push(ctx);
    return ctx;
  }

  function graphSettings(extra: Record<string, unknown> = {}) {
    return {
      type: 'bearer',
      provider: 'microsoft-graph',
      username: MAILBOX,
      senderEmail: MAILBOX,
      clientId: app.clientId,
      clientSecret: app.clientSecret,
      tenantId: app.tenantId,
      ...extra,
    };
  }

  async function configured(options: Partial<SmtpSettingsModuleOptions> = {}) {
    const ctx = await graphApp(options);
    await request(ctx.app.getHttpServer())
      .put('/smtp-settings')
      .set(AUTH)
      .send(graphSettings())
      .expect(200);
    return { ctx, mailer: ctx.app.get(MailerService) };
  }

  it('sends the composed MIME as the mailbox, headers intact, with a token for Graph', async () => {
    const { mailer } = await configured();
    const result = await mailer.send({
      to: 'a@example.com',
      cc: 'c@example.com',
      bcc: 'hidden@example.com',
      subject: 'Grüße from Graph',
      text: 'Hello',
      html: '<p>Hello</p>',
      headers: { 'X-Order-Id': 'A-42' },
      attachments: [{ filename: 'note.txt', content: 'attached' }],
    });
    expect(result).toMatchObject({
      route: 'custom',
      accepted: ['a@example.com', 'c@example.com', 'hidden@example.com'],
      rejected: [],
    });
    const [message] = await graph.waitForMessages(1);
    const { parsed } = message!;
    expect(message!.mailbox).toBe(MAILBOX);
    expect(parsed.subject).toBe('Grüße from Graph');
    expect(parsed.from?.value[0]?.address).toBe(MAILBOX);
    expect(parsed.headers.get('x-order-id')).toBe('A-42');
    expect(parsed.messageId).toBe(result.messageId);
    expect(parsed.text?.trim()).toBe('Hello');
    expect(parsed.attachments[0]).toMatchObject({ filename: 'note.txt' });
    // Graph reads every recipient from the MIME: Bcc must be there for Exchange to deliver it.
    expect(message!.raw).toMatch(/^Bcc: hidden@example\.com/m);
    expect(graph.requests[0]).toMatchObject({ contentType: 'text/plain', status: 202 });
    expect(entra.requestedScopes).toEqual([`${graph.host}/.default`]);
  });

  it('asks for one token for many messages, at most 4 requests at once per mailbox', async () => {
    const { mailer } = await configured();
    graph.delayMs = 50;
    await Promise.all(
      Array.from({ length: 12 }, (_, i) => mailer.send({ to: 'a@example.com', text: `m${i}` })),
    );
    expect(graph.messages).toHaveLength(12);
    expect(graph.maxInflight).toBe(4);
    expect(entra.tokenRequests).toBe(1);
  });

  it('waits as long as a 429 Retry-After says, then sends', async () => {
    const { mailer } = await configured();
    graph.script.push({ status: 429, code: 'ApplicationThrottled', retryAfter: '1' });
    await mailer.send({ to: 'a@example.com', text: 'x' });
    expect(graph.requests.map((r) => r.status)).toEqual([429, 202]);
    // The gap Graph sees between the two requests, which a slow machine only widens.
    const [throttled, retried] = graph.requests;
    expect(retried!.at - throttled!.at).toBeGreaterThanOrEqual(1000 - ROUNDING_MS);
  });

  it('retries a 503 with or without Retry-After', async () => {
    const { mailer } = await configured();
    graph.script.push({ status: 503, code: 'ServiceUnavailable', retryAfter: '0' });
    graph.script.push({ status: 503, code: 'ServiceUnavailable' });
    await mailer.send({ to: 'a@example.com', text: 'x' });
    expect(graph.requests.map((r) => r.status)).toEqual([503, 503, 202]);
  });

  it('fails at once when Graph asks for a longer wait than retries allow, saying so', async () => {
    const { mailer } = await configured({ retry: { attempts: 3, maxDelayMs: 2000 } });
    graph.script.push({ status: 429, code: 'ApplicationThrottled', retryAfter: '30' });
    await expect(mailer.send({ to: 'a@example.com', text: 'x' })).rejects.toMatchObject({
      code: 'ApplicationThrottled',
      httpStatus: 429,
      retryAfterMs: 30_000,
      message: expect.stringContaining('throttling'),
    });
    expect(graph.requests).toHaveLength(1);
  });

  it('renews a token that Graph refuses with 401 once, and sends', async () => {
    const { mailer } = await configured();
    await mailer.send({ to: 'a@example.com', text: 'first' });
    entra.revokeAll();
    await mailer.send({ to: 'a@example.com', text: 'after revocation' });
    expect(graph.requests.map((r) => r.status)).toEqual([202, 401, 202]);
    expect(entra.tokenRequests).toBe(2);
  });

  it('reports a second 401 without looping', async () => {
    const { mailer } = await configured();
    graph.script.push({ status: 401, code: 'InvalidAuthenticationToken' });
    graph.script.push({ status: 401, code: 'InvalidAuthenticationToken' });
    await expect(mailer.send({ to: 'a@example.com', text: 'x' })).rejects.toMatchObject({
      code: 'InvalidAuthenticationToken',
      stage: 'token',
    });
    expect(graph.requests).toHaveLength(2);
    expect(entra.tokenRequests).toBe(2);
  });

  it('never retries a request Graph took without answering: it may have been sent', async () => {
    const { mailer } = await configured();
    graph.dropNext = 1;
    await expect(mailer.send({ to: 'a@example.com', text: 'x' })).rejects.toMatchObject({
      code: 'DELIVERY_UNCERTAIN',
    });
    expect(graph.requests).toHaveLength(1);
  });

  it('retries when Graph cannot be reached, naming the host', async () => {
    entra.scopes.add('https://127.0.0.1:1/.default');
    const { ctx, mailer } = await configured({ microsoft: { graphHost: 'https://127.0.0.1:1' } });
    const events: MailEvent[] = [];
    ctx.app.get(LiveSmtpTransport).events$.subscribe((event) => events.push(event));
    await expect(mailer.send({ to: 'a@example.com', text: 'x' })).rejects.toMatchObject({
      code: 'ECONNREFUSED',
      stage: 'connect',
      message: expect.stringContaining('127.0.0.1:1'),
    });
    expect(entra.requestedScopes).toEqual(['https://127.0.0.1:1/.default']);
    expect(events).toMatchObject([{ type: 'failed', code: 'ECONNREFUSED', attempts: 3 }]);
  });

  it('refuses a message over 4 MB once base64-encoded before sending it', async () => {
    const { mailer } = await configured();
    await expect(
      mailer.send({
        to: 'a@example.com',
        text: 'x',
        attachments: [{ filename: 'big.bin', content: Buffer.alloc(3.2 * 1024 * 1024, 1) }],
      }),
    ).rejects.toMatchObject({
      code: 'MESSAGE_TOO_LARGE',
      stage: 'message',
      message: expect.stringContaining('4 MB'),
    });
    expect(graph.requests).toHaveLength(0);
  });

  it('uses a new client secret on the next message', async () => {
    const { ctx, mailer } = await configured();
    await mailer.send({ to: 'a@example.com', text: 'x' });
    app.clientSecret = 'rotated-graph-secret~2';
    await request(ctx.app.getHttpServer())
      .put('/smtp-settings')
      .set(AUTH)
      .send(graphSettings({ clientSecret: 'rotated-graph-secret~2' }))
      .expect(200);
    await mailer.send({ to: 'a@example.com', text: 'y' });
    expect(entra.tokenRequests).toBe(2);
    expect(graph.messages).toHaveLength(2);
  });

  describe('Graph errors in the admin words', () => {
    it.each<[string, FakeMailboxState, Record<string, unknown>]>([
      [
        'no Mail.Send permission',
        'access-denied',
        {
          code: 'ErrorAccessDenied',
          stage: 'mailbox',
          field: 'clientId',
          message: /Mail\.Send.*admin consent/,
        },
      ],
      [
        'an application access policy',
        'policy-denied',
        {
          code: 'ErrorAccessDenied',
          stage: 'mailbox',
          field: 'username',
          message: /application access policy/,
        },
      ],
      [
        'a mailbox Graph cannot use',
        'not-rest-enabled',
        {
          code: 'MailboxNotEnabledForRESTAPI',
          stage: 'mailbox',
          field: 'username',
          message: /on-premises/,
        },
      ],
      [
        'Send As denied',
        'send-as-denied',
        {
          code: 'ErrorSendAsDenied',
          stage: 'sender',
          field: 'senderEmail',
          message: /Add-RecipientPermission/,
        },
      ],
      [
        'a message over the mailbox limit',
        'size-exceeded',
        { code: 'ErrorMessageSizeExceeded', stage: 'message', message: /MaxSendSize/ },
      ],
    ])('explains %s when sending', async (_name, state, expected) => {
      const { mailer } = await configured();
      graph.addMailbox(MAILBOX, state);
      const error = await mailer.send({ to: 'a@example.com', text: 'x' }).catch((e: unknown) => e);
      const { message, ...rest } = expected;
      expect(error).toMatchObject({ ...rest, message: expect.stringMatching(message as RegExp) });
      expect(graph.requests).toHaveLength(1);
    });

    it('explains an unknown mailbox (404 ErrorInvalidUser)', async () => {
      const { mailer } = await configured();
      graph.mailboxes.clear();
      await expect(mailer.send({ to: 'a@example.com', text: 'x' })).rejects.toMatchObject({
        code: 'ErrorInvalidUser',
        httpStatus: 404,
        stage: 'mailbox',
        field: 'username',
      });
    });
  });

  describe('verify and test-email', () => {
    async function verify(ctx: SettingsApp, body?: Record<string, unknown>) {
      const res = await request(ctx.app.getHttpServer())
        .post('/smtp-settings/verify')
        .set(AUTH)
        .send(body ?? {})
        .expect(200);
      return res.body as Record<string, unknown>;
    }

    it('checks the token, then whether the app may send as the mailbox, sending nothing', async () => {
      const ctx = await graphApp();
      expect(await verify(ctx, graphSettings())).toMatchObject({
        ok: true,
        stage: 'mailbox',
        code: null,
        route: 'custom',
      });
      expect(graph.messages).toHaveLength(0);
      expect(graph.requests[0]).toMatchObject({ contentType: 'application/json', status: 400 });
    });

    it('stops at the token stage with the field to fix', async () => {
      const ctx = await graphApp();
      const body = await verify(ctx, graphSettings({ clientSecret: 'wrong' }));
      expect(body).toMatchObject({
        ok: false,
        stage: 'token',
        code: 'AADSTS7000215',
        field: 'clientSecret',
      });
      expect(graph.requests).toHaveLength(0);
    });

    it.each<[FakeMailboxState | 'unknown', Record<string, unknown>]>([
      ['access-denied', { code: 'ErrorAccessDenied', field: 'clientId' }],
      ['policy-denied', { code: 'ErrorAccessDenied', field: 'username' }],
      ['not-rest-enabled', { code: 'MailboxNotEnabledForRESTAPI', field: 'username' }],
      ['unknown', { code: 'ErrorInvalidUser', field: 'username' }],
    ])('stops at the mailbox stage for %s', async (state, expected) => {
      const ctx = await graphApp();
      if (state === 'unknown') graph.mailboxes.clear();
      else graph.addMailbox(MAILBOX, state);
      expect(await verify(ctx, graphSettings())).toMatchObject({
        ok: false,
        stage: 'mailbox',
        ...expected,
      });
    });

    it('verifies the saved settings', async () => {
      const { ctx } = await configured();
      expect(await verify(ctx)).toMatchObject({ ok: true, stage: 'mailbox' });
    });

    it('sends a real test email through Graph', async () => {
      const { ctx } = await configured();
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
      const [message] = await graph.waitForMessages(1);
      expect(message!.parsed.subject).toBe('SMTP settings test email');
      expect(message!.parsed.to).toMatchObject({ value: [{ address: 'admin@example.com' }] });
    });

    it('reports a refused test email with its stage and field', async () => {
      const { ctx } = await configured();
      graph.addMailbox(MAILBOX, 'access-denied');
      const res = await request(ctx.app.getHttpServer())
        .post('/smtp-settings/test-email')
        .set(AUTH)
        .send({ to: 'admin@example.com' })
        .expect(200);
      expect(res.body).toMatchObject({
        ok: false,
        stage: 'mailbox',
        code: 'ErrorAccessDenied',
        field: 'clientId',
      });
    });
  });

  it('refuses a Graph host whose certificate is not trusted', async () => {
    await graph.close();
    graph = await FakeGraph.start(entra, { untrusted: true });
    graph.addMailbox(MAILBOX);
    const { mailer } = await configured();
    await expect(mailer.send({ to: 'a@example.com', text: 'x' })).rejects.toMatchObject({
      stage: 'tls',
      message: expect.stringContaining('not trusted'),
    });
    expect(graph.requests).toHaveLength(0);
  });

  it('never shows the client secret, and needs the upgrade', async () => {
    const { ctx } = await configured();
    const res = await request(ctx.app.getHttpServer()).get('/smtp-settings').set(AUTH).expect(200);
    expect(res.body.settings).toMatchObject({ provider: 'microsoft-graph', clientSecretSet: true });
    expect(JSON.stringify(res.body)).not.toContain(SECRET);
    ctx.installed.delete('smtp-oauth');
    await expect(
      ctx.app.get(MailerService).send({ to: 'a@example.com', text: 'x' }),
    ).rejects.toMatchObject({ code: 'DELIVERY_UNAVAILABLE', reason: 'upgrade-removed' });
    expect(graph.requests).toHaveLength(0);
  });
});
