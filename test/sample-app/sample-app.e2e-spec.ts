import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSampleApp, CLEAN_ENV, CapturingLogger } from '../fixtures/sample-app-harness';
import type { SampleAppHarness } from '../fixtures/sample-app-harness';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';
import { SMTP_SETTINGS_MODULE_OPTIONS, type SmtpSettingsModuleOptions } from '../../lib';
import { bootstrap } from '../../sample-app/bootstrap';

const recipients = (n: number) => Array.from({ length: n }, (_, i) => `user${i}@example.com`);

interface InboxMessage {
  subject: string;
  from: string;
  to: string;
  text: string;
  envelope: { from: string; to: string[] };
  authenticatedAs: string | null;
}

describe('The sample app (dev inbox, file store)', () => {
  const ADMIN_TOKEN = 'e2e-admin-token-4a7f0c2e9b';
  const PASSWORD = 'dev-inbox-password-93c1d7';
  let h: SampleAppHarness;

  beforeAll(async () => {
    h = await startSampleApp({}, ADMIN_TOKEN);
  });
  afterAll(() => h?.close());

  const inbox = async (): Promise<InboxMessage[]> => {
    const res = await h.call('GET', '/inbox/messages', undefined, null);
    expect(res.status).toBe(200);
    return res.body.messages;
  };

  const devInboxSettings = (extra: Record<string, unknown> = {}) => ({
    type: 'basic',
    hostname: h.started.devInbox!.host,
    port: h.started.devInbox!.port,
    username: 'sample-user',
    password: PASSWORD,
    senderEmail: 'noreply@acme.example',
    useTls: false,
    ...extra,
  });

  it('starts on free ports and logs where the admin page, docs, inbox and settings are', () => {
    const { urls, devInbox, dataFile, settingsDir } = h.started;
    expect(devInbox).toEqual({ host: '127.0.0.1', port: expect.any(Number) });
    expect(devInbox!.port).toBeGreaterThan(0);
    expect(dataFile).toBe(join(h.dataDir, 'smtp-settings.json'));
    expect(settingsDir).toBe(join(h.dataDir, 'smtp-settings'));
    const log = h.logger.text;
    expect(log).toContain(`Admin page (SMTP Server Settings): ${urls.admin}`);
    expect(log).toContain(`API docs (OpenAPI): ${urls.docs}`);
    expect(log).toContain(`Dev inbox: ${urls.inbox}`);
    expect(log).toContain(`${devInbox!.host}:${devInbox!.port}`);
    expect(log).toContain(`Settings store: ${settingsDir}/, one file per tenant`);
    expect(log).toContain(join(h.dataDir, 'smtp-settings.key'));
    expect(log).toContain('Admin token: the one in ADMIN_TOKEN');
  });

  it("logs none of Nest's module and route listing before those lines: /docs lists the routes", async () => {
    const log = h.logger.text;
    expect(log).toContain('Nest application successfully started');
    expect(log).not.toMatch(/Mapped \{|RoutesResolver|RouterExplorer|dependencies initialized/);
    // The outbox routes stay mapped without the outbox, unlogged: 404 OUTBOX_NOT_CONFIGURED.
    expect(log).toContain('Outbox: off');
    const outbox = await h.call('GET', '/smtp-settings/outbox');
    expect([outbox.status, outbox.body.code]).toEqual([404, 'OUTBOX_NOT_CONFIGURED']);
  });

  it('asks for the admin token on the API: 401 without, 403 with a wrong one', async () => {
    expect((await h.call('GET', '/smtp-settings', undefined, null)).status).toBe(401);
    expect((await h.call('GET', '/smtp-settings', undefined, 'wrong')).status).toBe(403);
    expect((await h.call('GET', '/smtp-settings')).status).toBe(200);
    expect((await h.call('POST', '/notifications', {}, null)).status).toBe(401);
    expect((await h.call('PUT', '/upgrades/smtp-oauth', undefined, null)).status).toBe(401);
  });

  it('serves the admin page at / with its own scripts and styles only', async () => {
    const res = await h.call('GET', '/', undefined, null);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const text = res.text.replace(/\s+/g, ' ');
    expect(text).toContain('SMTP Server Settings');
    expect(text).toContain('Send using TLS');
    expect(text).toContain('The sender mailbox cannot receive replies.');
    expect(text).toContain(
      'Install Security Enhancement - oAuth Enablement for SMTP services in the Upgrade Center',
    );
    const assets = [...res.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets).toEqual(expect.arrayContaining(['/assets/admin.js', '/assets/admin.css']));
    for (const asset of assets) {
      expect(asset).toMatch(/^\//); // nothing from another host
      expect((await h.call('GET', asset, undefined, null)).status).toBe(200);
    }
    expect((await h.call('GET', '/assets/nope.js', undefined, null)).status).toBe(404);
  });

  it('tells the page where the dev inbox is, without the token', async () => {
    const res = await h.call('GET', '/app-info', undefined, null);
    expect(res.body).toEqual({ devInbox: { ...h.started.devInbox, url: '/inbox' } });
  });

  it('serves Swagger UI at /docs from its own assets, no CDN', async () => {
    const res = await h.call('GET', '/docs', undefined, null);
    expect(res.status).toBe(200);
    expect(res.text).toContain('swagger-ui');
    const assets = [...res.text.matchAll(/(?:src|href)=['"]([^'"]+)['"]/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThan(2);
    for (const asset of assets) {
      expect(asset).not.toMatch(/^(https?:)?\/\//);
      const url = new URL(asset, h.started.urls.docs).pathname; // as the browser resolves it
      expect((await h.call('GET', url, undefined, null)).status).toBe(200);
    }
    const init = await h.call('GET', '/docs/swagger-ui-init.js', undefined, null);
    expect(init.text).toContain('"validatorUrl": null');
  });

  it('documents the authentication types and Bearer providers as a union', async () => {
    const { body: doc } = await h.call('GET', '/docs-json', undefined, null);
    const union = {
      oneOf: [
        { $ref: '#/components/schemas/BasicSmtpSettingsDto' },
        { $ref: '#/components/schemas/BearerSmtpSettingsDto' },
        { $ref: '#/components/schemas/MicrosoftGraphSettingsDto' },
        { $ref: '#/components/schemas/GoogleSmtpSettingsDto' },
      ],
    };
    const put = doc.paths['/smtp-settings'].put;
    expect(put.requestBody.content['application/json'].schema).toEqual(union);
    expect(put.responses['400']).toBeDefined();
    const verify = doc.paths['/smtp-settings/verify'].post;
    expect(verify.requestBody.content['application/json'].schema).toEqual(union);

    const basic = doc.components.schemas.BasicSmtpSettingsDto;
    expect(basic.properties.type.enum).toEqual(['basic']);
    expect(basic.required).toEqual(
      expect.arrayContaining(['type', 'hostname', 'port', 'username', 'senderEmail', 'useTls']),
    );
    expect(basic.required).not.toContain('password');
    expect(basic.properties.password).toMatchObject({ format: 'password', writeOnly: true });
    const bearer = doc.components.schemas.BearerSmtpSettingsDto;
    expect(bearer.properties.type.enum).toEqual(['bearer']);
    expect(bearer.required).toEqual(
      expect.arrayContaining(['provider', 'clientId', 'tenantId', 'username', 'senderEmail']),
    );
    expect(bearer.properties.provider.enum).toEqual(['microsoft']);
    expect(doc.components.schemas.TestEmailDto.required).toEqual(['to']);
    expect(doc.components.schemas.NotificationDto.required).toEqual(
      expect.arrayContaining(['to', 'subject']),
    );
    expect(doc.components.securitySchemes.admin).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('offers Bearer only while the smtp-oauth upgrade is installed', async () => {
    const authTypes = async () =>
      (await h.call('GET', '/smtp-settings/capabilities')).body.authTypes;
    expect(await authTypes()).toEqual(['basic']);
    const bearer = {
      type: 'bearer',
      provider: 'microsoft',
      hostname: 'smtp.office365.com',
      port: 587,
      useTls: true,
      username: 'noreply@contoso.example',
      senderEmail: 'noreply@contoso.example',
      clientId: '11111111-2222-3333-4444-555555555555',
      clientSecret: 'bearer-secret-value',
      tenantId: 'contoso.onmicrosoft.com',
    };
    const refused = await h.call('PUT', '/smtp-settings', bearer);
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('UPGRADE_REQUIRED');

    expect((await h.call('PUT', '/upgrades/smtp-oauth')).status).toBe(204);
    expect(await authTypes()).toEqual(['basic', 'bearer']);
    expect((await h.call('GET', '/upgrades')).body).toEqual({
      tenant: 'default',
      installed: ['smtp-oauth'],
    });
    expect((await h.call('DELETE', '/upgrades/smtp-oauth')).status).toBe(204);
    expect(await authTypes()).toEqual(['basic']);
    expect((await h.call('PUT', '/upgrades/unknown')).status).toBe(404);
  });

  it('answers invalid settings with one error per field', async () => {
    const res = await h.call(
      'PUT',
      '/smtp-settings',
      devInboxSettings({ port: 587, hostname: '' }),
    );
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual(
      expect.arrayContaining([{ field: 'hostname', message: expect.stringContaining('hostname') }]),
    );
    const tls = await h.call('PUT', '/smtp-settings', devInboxSettings({ port: 587 }));
    expect(tls.body.errors).toEqual([
      { field: 'useTls', message: 'port 587 requires useTls to be on' },
    ]);
  });

  it('sends the test email through settings that point at the dev inbox, where it arrives', async () => {
    const saved = await h.call('PUT', '/smtp-settings', devInboxSettings());
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({
      source: 'custom',
      settings: { hostname: '127.0.0.1', passwordSet: true },
    });
    expect(saved.text).not.toContain(PASSWORD);

    const verify = await h.call('POST', '/smtp-settings/verify');
    expect(verify.body).toMatchObject({ ok: true, route: 'custom' });

    const sent = await h.call('POST', '/smtp-settings/test-email', { to: 'admin@acme.example' });
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({ ok: true, route: 'custom' });

    const [message] = await inbox();
    expect(message).toMatchObject({
      subject: 'SMTP settings test email',
      from: 'noreply@acme.example',
      to: 'admin@acme.example',
      envelope: { from: 'noreply@acme.example', to: ['admin@acme.example'] },
      authenticatedAs: 'sample-user',
      text: expect.stringContaining('The sender mailbox does not receive replies'),
    });
    expect(JSON.stringify(await inbox())).not.toContain(PASSWORD);
  });

  it('keeps the password sealed in the tenant file and out of every response', async () => {
    const dir = h.started.settingsDir!;
    const names = (await readdir(dir)).filter((name) => name.endsWith('.json'));
    expect(names).toHaveLength(1); // the default tenant's only
    const file = await readFile(join(dir, names[0]!), 'utf8');
    expect(file).not.toContain(PASSWORD);
    expect(file).toContain('enc:v2:');
    const state = await h.call('GET', '/smtp-settings');
    expect(state.text).not.toContain(PASSWORD);
    expect(state.body.settings).not.toHaveProperty('password');
    const history = await h.call('GET', '/smtp-settings/history');
    expect(history.body[0]).toMatchObject({ action: 'update', by: 'admin' });
  });

  it('sends notifications to any number of recipients through the admin own server', async () => {
    const res = await h.call('POST', '/notifications', {
      to: recipients(60),
      subject: 'Quarterly report',
      text: 'It is ready.',
    });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ route: 'custom', rejected: [] });
    expect(res.body.accepted).toHaveLength(60);
  });

  it('validates notifications, naming each field', async () => {
    const res = await h.call('POST', '/notifications', {
      to: ['not-an-address'],
      cc: 'also bad',
      extra: 1,
    });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        { field: 'to', message: 'each address in to must be a valid email address' },
        { field: 'cc', message: 'each address in cc must be a valid email address' },
        { field: 'subject', message: 'subject is required' },
        { field: 'text', message: 'text or html is required' },
        { field: 'extra', message: 'property extra is not allowed' },
      ]),
    );
    const single = await h.call('POST', '/notifications', {
      to: 'one@example.com',
      subject: 'Hi',
      html: '<p>Hello</p>',
    });
    expect(single.status).toBe(202);
  });

  it('reverts to the relay (the dev inbox), which refuses more than 50 recipients with 422', async () => {
    expect((await h.call('DELETE', '/smtp-settings')).status).toBe(204);
    expect((await h.call('GET', '/smtp-settings')).body.source).toBe('relay');

    const tooMany = await h.call('POST', '/notifications', {
      to: recipients(40),
      cc: recipients(51).slice(40),
      subject: 'Too many',
      text: 'x',
    });
    expect(tooMany.status).toBe(422);
    expect(tooMany.body).toMatchObject({
      code: 'RECIPIENT_LIMIT_EXCEEDED',
      count: 51,
      limit: 50,
      message: expect.stringContaining('accepts at most 50'),
    });

    const fifty = await h.call('POST', '/notifications', {
      to: recipients(50),
      subject: 'Fifty is fine',
      text: 'x',
    });
    expect(fifty.status).toBe(202);
    expect(fifty.body.route).toBe('relay');
    const [latest] = await inbox();
    expect(latest).toMatchObject({
      subject: 'Fifty is fine',
      from: '"Sample App" <noreply@example.com>',
    });
    expect(latest!.envelope.to).toHaveLength(50);
  });

  it('serves the inbox page and empties the inbox on request', async () => {
    const page = await h.call('GET', '/inbox', undefined, null);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Dev inbox');
    expect((await h.call('DELETE', '/inbox/messages', undefined, null)).status).toBe(204);
    expect(await inbox()).toEqual([]);
  });

  it('never logged a secret: not the admin token, the password, nor the sealing key', async () => {
    const key = (await readFile(join(h.dataDir, 'smtp-settings.key'), 'utf8')).trim();
    const log = h.logger.text;
    expect(h.logger.lines.length).toBeGreaterThan(5);
    for (const secret of [ADMIN_TOKEN, PASSWORD, 'bearer-secret-value', key]) {
      expect(log).not.toContain(secret);
    }
  });
});

describe('The sample app with SMTP_RELAY_URL', () => {
  let peer: SmtpPeer;
  let h: SampleAppHarness;

  beforeAll(async () => {
    peer = await startSmtpPeer({
      users: { 'relay-user': 'relay-password-5e1b' },
      serverOptions: { allowInsecureAuth: true },
    });
    h = await startSampleApp({
      SMTP_RELAY_URL: `smtp://relay-user:relay-password-5e1b@127.0.0.1:${peer.port}`,
      SMTP_RELAY_FROM: 'ops@acme.example',
      INSTALLED_UPGRADES: 'smtp-oauth',
      MICROSOFT_AUTHORITY_HOST: 'https://login.microsoftonline.us',
      MICROSOFT_GRAPH_HOST: 'https://graph.microsoft.us',
      GOOGLE_TOKEN_URL: 'https://google-proxy.example.com/token',
    });
  });
  afterAll(async () => {
    await h?.close();
    await peer?.close();
  });

  it('uses the relay instead of a dev inbox, and logs it without its credentials', async () => {
    expect(h.started.devInbox).toBeNull();
    expect(h.started.urls.inbox).toBeUndefined();
    expect(h.logger.text).toContain(`Relay: smtp://127.0.0.1:${peer.port} (SMTP_RELAY_URL)`);
    expect(h.logger.text).not.toContain('relay-password-5e1b');
    expect((await h.call('GET', '/inbox/messages', undefined, null)).status).toBe(404);
    expect((await h.call('GET', '/app-info', undefined, null)).body).toEqual({ devInbox: null });
  });

  it('sends notifications through the relay from SMTP_RELAY_FROM', async () => {
    const res = await h.call('POST', '/notifications', {
      to: ['a@example.com'],
      subject: 'Through the relay',
      text: 'x',
    });
    expect(res.status).toBe(202);
    const [message] = await peer.waitForMessages(1);
    expect(message!.envelope.from).toBe('ops@acme.example');
    expect(message!.user).toBe('relay-user');
  });

  it('starts with the upgrades of INSTALLED_UPGRADES', async () => {
    const caps = await h.call('GET', '/smtp-settings/capabilities');
    expect(caps.body.authTypes).toEqual(['basic', 'bearer']);
  });

  it('signs in to Microsoft at MICROSOFT_AUTHORITY_HOST and reaches Graph at MICROSOFT_GRAPH_HOST', () => {
    const options = h.started.app.get<SmtpSettingsModuleOptions>(SMTP_SETTINGS_MODULE_OPTIONS);
    expect(options.microsoft).toEqual({
      authorityHost: 'https://login.microsoftonline.us',
      graphHost: 'https://graph.microsoft.us',
    });
  });

  it('asks Google for service account tokens at GOOGLE_TOKEN_URL', () => {
    const options = h.started.app.get<SmtpSettingsModuleOptions>(SMTP_SETTINGS_MODULE_OPTIONS);
    expect(options.google).toEqual({ tokenUrl: 'https://google-proxy.example.com/token' });
  });
});

describe('Starting the sample app', () => {
  it('generates an admin token when ADMIN_TOKEN is unset, prints it once, and accepts it', async () => {
    const logger = new CapturingLogger();
    const dataDir = await mkdtemp(join(tmpdir(), 'sample-app-'));
    const started = await bootstrap({ env: { ...CLEAN_ENV, DATA_DIR: dataDir }, logger });
    try {
      const line = logger.lines.find((l) => l.includes('generated admin token'));
      const token = /generated admin token: (\S+)/.exec(line ?? '')?.[1];
      expect(token).toMatch(/^[A-Za-z0-9_-]{20,}$/);
      expect(line).toContain(`${started.urls.admin}?token=${token}`);
      const res = await fetch(`${started.urls.api}`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      expect(res.status).toBe(200);
    } finally {
      await started.app.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it.each([
    [
      { DATABASE_URL: 'postgres://app:db-password@127.0.0.1:5432/app' },
      /DATABASE_URL needs SMTP_SETTINGS_KEY/,
    ],
    [{ PORT: 'eighty' }, /PORT must be a port number/],
    [{ SMTP_SETTINGS_KEY: 'too-short' }, /SMTP_SETTINGS_KEY must be 32 bytes/],
    [{ SMTP_RELAY_URL: 'relay.example.com:587' }, /SMTP_RELAY_URL must start with smtp:\/\//],
  ])('refuses a wrong environment with a clear message: %j', async (env, message) => {
    const logger = new CapturingLogger();
    await expect(bootstrap({ env: { ...CLEAN_ENV, ...env }, logger })).rejects.toThrow(message);
    expect(logger.text).not.toContain('db-password');
  });
});
