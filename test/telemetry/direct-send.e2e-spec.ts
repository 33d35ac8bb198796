import { MailerService, SmtpSettingsService, type SmtpSettingsModuleOptions } from '../../lib';
import { FakeEntraId } from '../fixtures/fake-entra-id';
import { includes, OtelKit, telemetryText } from '../fixtures/otel-kit';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';

const RECIPIENT_DOMAIN = 'recipients.example.org';
const SUBJECT = 'Direct statement 4b1e';
const BODY = 'A body no span may hold 0d7c';
const MAILBOX = 'notifications@contoso.onmicrosoft.com';

const kit = OtelKit.register();

describe('Telemetry of direct sends, checks and tokens', () => {
  const peers: SmtpPeer[] = [];
  const apps: SettingsApp[] = [];
  let entra: FakeEntraId | undefined;

  afterAll(async () => {
    await Promise.all(apps.map((ctx) => ctx.app.close()));
    await Promise.all(peers.map((peer) => peer.close()));
    await entra?.close();
    await kit.close();
  });

  async function peer(options: Parameters<typeof startSmtpPeer>[0] = {}): Promise<SmtpPeer> {
    const started = await startSmtpPeer(options);
    peers.push(started);
    return started;
  }
  async function app(options: Partial<SmtpSettingsModuleOptions> = {}): Promise<SettingsApp> {
    const ctx = await createSettingsApp({ retry: { attempts: 1 }, ...options });
    apps.push(ctx);
    return ctx;
  }
  const basic = (target: SmtpPeer) => ({
    type: 'basic' as const,
    hostname: target.host,
    port: target.port,
    useTls: false,
    username: 'mailer',
    password: 'direct-Passw0rd-1',
    senderEmail: 'noreply@acme.example.com',
  });
  const message = {
    to: [`a@${RECIPIENT_DOMAIN}`, `b@${RECIPIENT_DOMAIN}`],
    subject: SUBJECT,
    text: BODY,
  };
  const lastSpan = (name: string) => kit.spans(name).at(-1)!;

  it('makes one smtp.send span per message with its route, and counts it sent', async () => {
    const target = await peer();
    const ctx = await app();
    await ctx.app.get(SmtpSettingsService).update(basic(target));
    const result = await ctx.app.get(MailerService).send(message);

    const span = lastSpan('smtp.send');
    expect(span.kind).toBe(2); // SpanKind.CLIENT
    expect(span.status.code).toBe(0);
    expect(span.attributes).toEqual({
      'smtp_settings.tenant': 'default',
      'smtp_settings.channel': 'main',
      'smtp_settings.provider': 'basic',
      'server.address': target.host,
      'server.port': target.port,
      'smtp_settings.message_id': result.messageId,
      'smtp_settings.recipients.count': 2,
    });
    const sent = { 'smtp_settings.outcome': 'sent', 'smtp_settings.channel': 'main' };
    expect(await kit.total('smtp_settings.messages', sent)).toBe(1);
    expect(await kit.total('smtp_settings.attempt.duration', sent)).toBe(1);
    expect(
      await kit.total('smtp_settings.settings.changes', { 'smtp_settings.kind': 'main' }),
    ).toBe(1);
  });

  it('ends a refused send as an error with its code and reply code, never its message', async () => {
    const rejecting = await peer({ rejectRecipients: () => 550 });
    const ctx = await app();
    await ctx.app.get(SmtpSettingsService).update(basic(rejecting));
    await expect(ctx.app.get(MailerService).send(message)).rejects.toThrow();

    const span = lastSpan('smtp.send');
    expect(span.status).toEqual({ code: 2 }); // ERROR, without a message
    expect(span.attributes).toMatchObject({
      'error.type': expect.stringMatching(/^[A-Z_]+$/),
      'smtp_settings.reply_code': 550,
      'smtp_settings.channel': 'main',
    });
    expect(span.events).toEqual([]);
    const failed = { 'smtp_settings.outcome': 'failed', 'smtp_settings.channel': 'main' };
    expect(await kit.total('smtp_settings.messages', failed)).toBe(1);
  });

  it('traces verify and test-email as smtp.verify and smtp.test_email', async () => {
    const target = await peer();
    const ctx = await app();
    await ctx.app.get(SmtpSettingsService).update(basic(target));
    const mailer = ctx.app.get(MailerService);
    expect((await mailer.verify()).ok).toBe(true);
    expect((await mailer.sendTestEmail(`admin@${RECIPIENT_DOMAIN}`)).ok).toBe(true);
    expect(lastSpan('smtp.verify').attributes).toEqual({
      'smtp_settings.tenant': 'default',
      'smtp_settings.channel': 'main',
    });
    expect(lastSpan('smtp.test_email').attributes).toEqual({
      'smtp_settings.tenant': 'default',
      'smtp_settings.channel': 'main',
    });
    // A failed check is an error span with its code: nothing listens on port 1.
    const result = await mailer.verify({ ...basic(target), port: 1 });
    expect(result.ok).toBe(false);
    expect(lastSpan('smtp.verify').status.code).toBe(2);
    expect(lastSpan('smtp.verify').attributes['error.type']).toBe(result.code);
  });

  it('makes an oauth.token span per token asked for: one issued, then cached ones', async () => {
    entra = await FakeEntraId.start();
    const registration = entra.register({
      tenantId: '9a8b7c6d-aaaa-4bbb-8ccc-ddddeeeeffff',
      domain: 'contoso.onmicrosoft.com',
      clientId: '0b1e2f3a-1111-4222-8333-444455556666',
      clientSecret: 'entra-secret-value~1',
    });
    const exchange = await peer({
      tls: 'starttls',
      authMethods: ['XOAUTH2'],
      onAuth: entra.smtpAuth(MAILBOX),
    });
    const ctx = await app({
      tls: { ca: entra.ca },
      microsoft: { authorityHost: entra.authorityHost },
    });
    ctx.installed.add('smtp-oauth');
    await ctx.app.get(SmtpSettingsService).update({
      type: 'bearer',
      provider: 'microsoft',
      hostname: exchange.host,
      port: exchange.port,
      username: MAILBOX,
      senderEmail: MAILBOX,
      clientId: registration.clientId,
      clientSecret: registration.clientSecret,
      tenantId: registration.tenantId,
      useTls: true,
    });
    const mailer = ctx.app.get(MailerService);
    await mailer.send(message);
    await mailer.send(message);
    expect(entra.tokenRequests).toBe(1);

    // One per token asked for: before each attempt, and as the pool's connection signs in.
    const tokens = kit.spans('oauth.token');
    const [first, ...later] = tokens.map((span) => span.attributes);
    expect(first).toEqual({
      'smtp_settings.provider': 'microsoft',
      'smtp_settings.token.cached': false,
    });
    expect(later.length).toBeGreaterThanOrEqual(1);
    for (const attributes of later) {
      expect(attributes).toEqual({
        'smtp_settings.provider': 'microsoft',
        'smtp_settings.token.cached': true,
      });
    }
    // Each is a child of the send that needed it.
    const sends = new Set(kit.spans('smtp.send').map((span) => span.spanContext().spanId));
    for (const token of tokens) expect(sends.has(token.parentSpanContext!.spanId)).toBe(true);
    expect(lastSpan('smtp.send').attributes['smtp_settings.provider']).toBe('microsoft');
    const requests = (outcome: string) =>
      kit.total('smtp_settings.token.requests', {
        'smtp_settings.provider': 'microsoft',
        'smtp_settings.outcome': outcome,
      });
    expect([await requests('issued'), await requests('cached')]).toEqual([1, later.length]);
    const text = await telemetryText(kit);
    for (const token of entra.issued.keys()) expect(text).not.toContain(token);
    expect(text).not.toContain('entra-secret-value');
  });

  it('names the tenant on metrics only with telemetry.tenantAttribute', async () => {
    const points = async () =>
      (await kit.metrics()).flatMap((m) => m.dataPoints.map((p) => p.attributes));
    expect((await points()).some((a) => 'smtp_settings.tenant' in a)).toBe(false);

    const target = await peer();
    const ctx = await app({ telemetry: { tenantAttribute: true } });
    await ctx.app.get(SmtpSettingsService).update(basic(target));
    await ctx.app.get(MailerService).send(message);
    const withTenant = (await kit.points('smtp_settings.messages')).filter((p) =>
      includes(p.attributes, { 'smtp_settings.tenant': 'default' }),
    );
    expect(withTenant).toEqual([
      expect.objectContaining({
        attributes: {
          'smtp_settings.tenant': 'default',
          'smtp_settings.outcome': 'sent',
          'smtp_settings.channel': 'main',
        },
        value: 1,
      }),
    ]);
  });

  it('refuses a telemetry option that is not { tenantAttribute: boolean }, naming it', async () => {
    await expect(app({ telemetry: { tenantAttribute: 'yes' as never } })).rejects.toThrow(
      'SmtpSettingsModule: telemetry.tenantAttribute must be true or false',
    );
    await expect(app({ telemetry: { tenants: true } as never })).rejects.toThrow(
      'telemetry.tenants is not an option',
    );
  });

  it('holds no recipient address, subject, body or secret in any span or metric', async () => {
    const text = await telemetryText(kit);
    expect(text).not.toContain(RECIPIENT_DOMAIN);
    expect(text).not.toContain(SUBJECT);
    expect(text).not.toContain(BODY);
    expect(text).not.toContain('Passw0rd');
  });
});
