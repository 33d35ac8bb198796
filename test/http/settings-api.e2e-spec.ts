import request from 'supertest';
import type { App } from 'supertest/types';
import { ADMIN_TOKEN } from '../fixtures/admin.guard';
import { createSettingsApp, HTTP_ADAPTERS, type SettingsApp } from '../fixtures/settings-app';
import { BASIC, BEARER, SECRETS } from '../fixtures/settings-bodies';

const AUTH = { Authorization: `Bearer ${ADMIN_TOKEN}` };

function expectNoSecrets(body: unknown): void {
  const text = JSON.stringify(body);
  for (const secret of SECRETS) expect(text).not.toContain(secret);
}

describe.each(HTTP_ADAPTERS)('SMTP settings REST API on %s', (adapter) => {
  let ctx: SettingsApp;
  let http: App;

  beforeEach(async () => {
    ctx = await createSettingsApp({}, undefined, adapter);
    http = ctx.app.getHttpServer();
  });
  afterEach(() => ctx.app.close());

  const put = (body: unknown, headers: Record<string, string> = {}) =>
    request(http)
      .put('/smtp-settings')
      .set(AUTH)
      .set(headers)
      .send(body as object);

  describe('reading', () => {
    it('starts on the relay at version 0 with an ETag', async () => {
      const res = await request(http).get('/smtp-settings').set(AUTH).expect(200);
      expect(res.body).toEqual({
        tenant: 'default',
        source: 'relay',
        version: 0,
        updatedAt: null,
        updatedBy: null,
        settings: null,
        warnings: [],
        // No relay in this app: nothing can go out until settings are saved.
        backup: null,
        delivery: expect.objectContaining({ canSend: false, reason: 'no-route' }),
      });
      expect(res.headers.etag).toBe('"0"');
    });

    it('lists capabilities: Basic only until the upgrade is installed, the relay limit and defaults', async () => {
      const res = await request(http).get('/smtp-settings/capabilities').set(AUTH).expect(200);
      expect(res.body).toEqual({
        authTypes: ['basic'],
        providers: ['microsoft', 'microsoft-graph', 'google'],
        upgrade: {
          id: 'smtp-oauth',
          name: 'Security Enhancement - oAuth Enablement for SMTP services',
          installed: false,
        },
        relay: { maxRecipients: 50 },
        defaults: {
          basic: { port: 25, useTls: false },
          bearer: {
            provider: 'microsoft',
            hostname: 'smtp.office365.com',
            port: 587,
            useTls: true,
          },
          providers: {
            microsoft: { hostname: 'smtp.office365.com', port: 587, useTls: true },
            'microsoft-graph': {},
            google: { hostname: 'smtp.gmail.com', port: 465, useTls: true },
          },
        },
      });
      ctx.installed.add('smtp-oauth');
      const after = await request(http).get('/smtp-settings/capabilities').set(AUTH).expect(200);
      expect(after.body.authTypes).toEqual(['basic', 'bearer']);
      expect(after.body.upgrade.installed).toBe(true);
    });
  });

  describe('saving', () => {
    it('saves Basic settings and returns them without the password, with passwordSet', async () => {
      const res = await put(BASIC).expect(200);
      const { password: _password, ...visible } = BASIC;
      expect(res.body).toMatchObject({
        source: 'custom',
        version: 1,
        updatedBy: 'alice',
        warnings: [],
      });
      expect(res.body.settings).toEqual({ ...visible, passwordSet: true });
      expect(res.headers.etag).toBe('"1"');
      expectNoSecrets(res.body);
      const get = await request(http).get('/smtp-settings').set(AUTH).expect(200);
      expect(get.body).toEqual(res.body);
      expectNoSecrets(get.body);
    });

    it('keeps secrets out of the store: only sealed ciphertext is stored', async () => {
      await put(BASIC).expect(200);
      const record = await ctx.store.get('default');
      expectNoSecrets(record);
      expect((record!.settings as { password: string }).password).toMatch(/^enc:v2:/);
    });

    it('accepts port 25 with TLS on, with a warning', async () => {
      const res = await put({ ...BASIC, useTls: true }).expect(200);
      expect(res.body.warnings).toEqual([expect.stringContaining('port 25')]);
    });

    it('accepts optional senderName, replyTo and tlsMode', async () => {
      const body = {
        ...BASIC,
        port: 465,
        useTls: true,
        senderName: 'Strato',
        replyTo: 'help@example.com',
        tlsMode: 'implicit',
      };
      const res = await put(body).expect(200);
      expect(res.body.settings).toMatchObject({
        senderName: 'Strato',
        replyTo: 'help@example.com',
        tlsMode: 'implicit',
      });
    });
  });

  describe('validation', () => {
    const cases: Array<[string, Record<string, unknown>, string, string]> = [
      ['a missing hostname', { hostname: undefined }, 'hostname', 'hostname is required'],
      [
        'a hostname with a scheme',
        { hostname: 'smtp://mail.example.com' },
        'hostname',
        'hostname must be a DNS name or an IP address',
      ],
      [
        'a hostname with a path',
        { hostname: 'mail.example.com/x' },
        'hostname',
        'hostname must be a DNS name',
      ],
      [
        'a hostname with spaces',
        { hostname: 'mail example.com' },
        'hostname',
        'hostname must be a DNS name',
      ],
      ['a missing username', { username: undefined }, 'username', 'username is required'],
      [
        'a missing password on first save',
        { password: undefined },
        'password',
        'password is required',
      ],
      ['an empty password', { password: '' }, 'password', 'password must not be empty'],
      ['a port of 0', { port: 0 }, 'port', 'port must be a whole number from 1 to 65535'],
      [
        'a port above 65535',
        { port: 65536 },
        'port',
        'port must be a whole number from 1 to 65535',
      ],
      ['a fractional port', { port: 25.5 }, 'port', 'port must be a whole number'],
      ['a port sent as a string', { port: '25' }, 'port', 'port must be a whole number'],
      ['a missing port', { port: undefined }, 'port', 'port is required'],
      [
        'an invalid sender',
        { senderEmail: 'not-an-address' },
        'senderEmail',
        'senderEmail must be a valid email address',
      ],
      ['a missing sender', { senderEmail: undefined }, 'senderEmail', 'senderEmail is required'],
      ['useTls as a string', { useTls: 'true' }, 'useTls', 'useTls must be true or false'],
      ['a missing useTls', { useTls: undefined }, 'useTls', 'useTls is required'],
      [
        'port 587 with TLS off',
        { port: 587, useTls: false },
        'useTls',
        'port 587 requires useTls to be on',
      ],
      [
        'port 465 with TLS off',
        { port: 465, useTls: false },
        'useTls',
        'port 465 requires useTls to be on',
      ],
      [
        'an invalid replyTo',
        { replyTo: 'nobody' },
        'replyTo',
        'replyTo must be a valid email address',
      ],
      ['an unknown tlsMode', { tlsMode: 'ssl' }, 'tlsMode', 'tlsMode must be starttls or implicit'],
      [
        'a CR/LF in senderName',
        { senderName: 'Ops\r\nBcc: evil@example.com' },
        'senderName',
        'senderName must not contain line breaks',
      ],
      [
        'a LF in username',
        { username: 'a\nb' },
        'username',
        'username must not contain line breaks',
      ],
      [
        'an overlong senderName',
        { senderName: 'x'.repeat(101) },
        'senderName',
        'senderName must be at most 100 characters',
      ],
      [
        'an overlong password',
        { password: 'x'.repeat(1025) },
        'password',
        'password must be at most 1024 characters',
      ],
      ['an unknown property', { smtpHost: 'x' }, 'smtpHost', 'property smtpHost is not allowed'],
      [
        'an object for a string',
        { hostname: { host: 'x' } },
        'hostname',
        'hostname must be a string',
      ],
    ];

    it.each(cases)('rejects %s, naming the field', async (_name, change, field, message) => {
      const res = await put({ ...BASIC, ...change }).expect(400);
      expect(res.body.code).toBe('INVALID_SETTINGS');
      expect(res.body.errors).toContainEqual({
        field,
        message: expect.stringContaining(message),
      });
      expect(res.body.message).toContainEqual(expect.stringContaining(message));
      expect(await ctx.store.get('default')).toBeNull();
    });

    it('lists every problem at once', async () => {
      const res = await put({ type: 'basic', port: 587, useTls: false, senderEmail: 'x' }).expect(
        400,
      );
      const fields = res.body.errors.map((e: { field: string }) => e.field);
      expect(fields).toEqual(expect.arrayContaining(['hostname', 'username', 'senderEmail']));
      expect(res.body.message).toContain('hostname is required');
      expect(res.body.message).toContain('username is required');
    });

    it.each([
      ['no type', { ...BASIC, type: undefined }, 'type is required (basic or bearer)'],
      ['an unknown type', { ...BASIC, type: 'ntlm' }, 'type must be basic or bearer'],
      ['an array body', [BASIC], 'the body must be a JSON object'],
    ])('rejects %s', async (_name, body, message) => {
      const res = await put(body).expect(400);
      expect(res.body.message).toContainEqual(expect.stringContaining(message));
    });

    it('rejects prototype pollution keys and leaves Object.prototype alone', async () => {
      const raw = `{"type":"basic","hostname":"mail.example.com","username":"u","password":"p","port":25,"senderEmail":"a@example.com","useTls":false,"__proto__":{"polluted":true}}`;
      const res = await request(http)
        .put('/smtp-settings')
        .set(AUTH)
        .set('Content-Type', 'application/json')
        .send(raw)
        .expect(400);
      if (adapter === 'fastify') {
        // Fastify's JSON parser (secure-json-parse) refuses the key before the module sees the body.
        expect(res.body.message).toContain('not valid JSON');
      } else {
        expect(res.body.errors).toContainEqual({
          field: '__proto__',
          message: 'property __proto__ is not allowed',
        });
      }
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(await ctx.store.get('default')).toBeNull();
    });

    it('never changes what is stored when a body is invalid', async () => {
      await put(BASIC).expect(200);
      const before = await ctx.store.get('default');
      await put({ ...BASIC, hostname: 'other.example.com', port: 'x' }).expect(400);
      expect(await ctx.store.get('default')).toEqual(before);
      expect(await ctx.store.history('default')).toHaveLength(1);
    });
  });

  describe('Bearer', () => {
    it('is refused with 403 naming the upgrade until it is installed, then accepted', async () => {
      const refused = await put(BEARER).expect(403);
      expect(refused.body.message).toContain(
        'Security Enhancement - oAuth Enablement for SMTP services',
      );
      expect(refused.body.message).toContain('Upgrade Center');
      expect(await ctx.store.get('default')).toBeNull();
      ctx.installed.add('smtp-oauth');
      const saved = await put(BEARER).expect(200);
      const { clientSecret: _secret, ...visible } = BEARER;
      expect(saved.body.settings).toEqual({ ...visible, clientSecretSet: true });
      expectNoSecrets(saved.body);
    });

    describe('with the upgrade installed', () => {
      beforeEach(() => ctx.installed.add('smtp-oauth'));

      it.each([
        [
          'an unknown provider',
          { provider: 'yahoo' },
          'provider',
          'provider must be microsoft, microsoft-graph or google',
        ],
        [
          'a username that is not an email address',
          { username: 'notifications', senderEmail: 'notifications' },
          'username',
          'username must be the email address of a Microsoft 365 mailbox',
        ],
        [
          'a sender different from the username',
          { senderEmail: 'other@contoso.onmicrosoft.com' },
          'senderEmail',
          'senderEmail must be the same as username',
        ],
        [
          'a clientId that is not a GUID',
          { clientId: 'my-app' },
          'clientId',
          'clientId must be a GUID',
        ],
        [
          'a tenantId that is neither a GUID nor a domain',
          { tenantId: 'contoso' },
          'tenantId',
          'tenantId must be a GUID',
        ],
        [
          'a missing clientSecret on first save',
          { clientSecret: undefined },
          'clientSecret',
          'clientSecret or clientCertificate is required',
        ],
        ['a missing provider', { provider: undefined }, 'provider', 'provider is required'],
      ])('rejects %s, naming the field', async (_name, change, field, message) => {
        const res = await put({ ...BEARER, ...change }).expect(400);
        expect(res.body.errors).toContainEqual({
          field,
          message: expect.stringContaining(message),
        });
      });

      it('accepts a verified domain as tenantId', async () => {
        await put({ ...BEARER, tenantId: 'contoso.onmicrosoft.com' }).expect(200);
      });
    });
  });

  describe('stored secrets', () => {
    it('keeps the stored password when it is omitted and nothing it was approved for changed', async () => {
      await put(BASIC).expect(200);
      const { password: _password, ...withoutPassword } = BASIC;
      const res = await put({ ...withoutPassword, senderName: 'Renamed' }).expect(200);
      expect(res.body.settings.passwordSet).toBe(true);
      const history = await request(http).get('/smtp-settings/history').set(AUTH).expect(200);
      expect(history.body[0].changed).toEqual(['senderName']);
    });

    it.each([
      ['hostname', { hostname: 'evil.example.net' }],
      ['port', { port: 2525 }],
      ['username', { username: 'someone-else' }],
    ])('asks for the password again when %s changed', async (field, change) => {
      await put(BASIC).expect(200);
      const { password: _password, ...withoutPassword } = BASIC;
      const res = await put({ ...withoutPassword, ...change }).expect(400);
      expect(res.body.errors).toEqual([
        { field: 'password', message: `password must be re-entered because ${field} changed` },
      ]);
    });

    it.each([
      ['client ID', { clientId: '11111111-2222-4333-8444-555555555555' }],
      ['tenant ID', { tenantId: 'fabrikam.onmicrosoft.com' }],
    ])('asks for the client secret again when %s changed', async (field, change) => {
      ctx.installed.add('smtp-oauth');
      await put(BEARER).expect(200);
      const { clientSecret: _secret, ...withoutSecret } = BEARER;
      const res = await put({ ...withoutSecret, ...change }).expect(400);
      expect(res.body.errors).toEqual([
        {
          field: 'clientSecret',
          message: `clientSecret must be re-entered because ${field} changed`,
        },
      ]);
    });

    it('asks for the secret when the type changes', async () => {
      await put(BASIC).expect(200);
      ctx.installed.add('smtp-oauth');
      const { clientSecret: _secret, ...withoutSecret } = BEARER;
      const res = await put(withoutSecret).expect(400);
      expect(res.body.errors).toEqual([
        { field: 'clientSecret', message: 'clientSecret or clientCertificate is required' },
      ]);
    });
  });

  describe('concurrency', () => {
    it('writes with a current If-Match and refuses a stale one with 412, writing nothing', async () => {
      await put(BASIC, { 'If-Match': '"0"' }).expect(200);
      await put({ ...BASIC, port: 2525 }, { 'If-Match': '"1"' }).expect(200);
      const stale = await put({ ...BASIC, port: 26 }, { 'If-Match': '"1"' }).expect(412);
      expect(stale.body).toMatchObject({ code: 'VERSION_CONFLICT', currentVersion: 2 });
      const get = await request(http).get('/smtp-settings').set(AUTH).expect(200);
      expect(get.body.settings.port).toBe(2525);
      expect((await ctx.store.history('default')).map((h) => h.version)).toEqual([2, 1]);
    });

    it('refuses a malformed If-Match with 400', async () => {
      const res = await put(BASIC, { 'If-Match': 'seven' }).expect(400);
      expect(res.body.errors[0].field).toBe('If-Match');
    });

    it('honours If-Match on DELETE', async () => {
      await put(BASIC).expect(200);
      await request(http).delete('/smtp-settings').set(AUTH).set('If-Match', '"0"').expect(412);
      await request(http).delete('/smtp-settings').set(AUTH).set('If-Match', '"1"').expect(204);
    });
  });

  describe('reverting and history', () => {
    it('goes back to the relay on DELETE, keeping versions growing', async () => {
      await put(BASIC).expect(200);
      await request(http).delete('/smtp-settings').set(AUTH).expect(204);
      const res = await request(http).get('/smtp-settings').set(AUTH).expect(200);
      expect(res.body).toMatchObject({
        source: 'relay',
        version: 2,
        settings: null,
        updatedBy: 'alice',
      });
      expect(res.headers.etag).toBe('"2"');
    });

    it('records who changed which fields, newest first, never values', async () => {
      await put(BASIC).expect(200);
      await request(http)
        .put('/smtp-settings')
        .set(AUTH)
        .set('X-Admin-Name', 'bob')
        .send({ ...BASIC, port: 2525, password: 'new-secret-value' })
        .expect(200);
      await request(http).delete('/smtp-settings').set(AUTH).expect(204);
      const res = await request(http).get('/smtp-settings/history').set(AUTH).expect(200);
      expect(res.body).toEqual([
        expect.objectContaining({ version: 3, by: 'alice', action: 'reset' }),
        {
          version: 2,
          at: expect.any(String),
          by: 'bob',
          action: 'update',
          changed: ['password', 'port'],
        },
        expect.objectContaining({
          version: 1,
          by: 'alice',
          action: 'update',
          changed: expect.arrayContaining(['hostname', 'password']),
        }),
      ]);
      const text = JSON.stringify(res.body);
      expect(text).not.toContain('new-secret-value');
      expect(text).not.toContain('mail.example.com');
      expectNoSecrets(res.body);
    });
  });

  describe('access', () => {
    it.each([
      ['GET', '/smtp-settings'],
      ['PUT', '/smtp-settings'],
      ['DELETE', '/smtp-settings'],
      ['GET', '/smtp-settings/capabilities'],
      ['GET', '/smtp-settings/history'],
    ])('answers 401 to %s %s without a token and 403 with a wrong one', async (method, path) => {
      const call = () => request(http)[method.toLowerCase() as 'get' | 'put' | 'delete'](path);
      await call().expect(401);
      await call().set('Authorization', 'Bearer wrong').expect(403);
      expect(await ctx.store.get('default')).toBeNull();
    });
  });
});
