import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import request from 'supertest';
import { SmtpSettingsService } from '../../lib';
import { ADMIN_TOKEN } from '../fixtures/admin.guard';
import { appCertificate, daysFromNow, type AppCertificate } from '../fixtures/app-certificate';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';
import { BEARER } from '../fixtures/settings-bodies';

const AUTH = { Authorization: `Bearer ${ADMIN_TOKEN}` };

/**
 * The REST rules of a certificate credential: exactly one credential, a key that belongs to a
 * certificate that has not expired, the stored one kept under the re-entry rule, and a view that
 * says which certificate and until when, never the key. Certificates get the validity dates each
 * rule needs, so no clock is faked.
 */
describe('Certificate credentials in the settings API', () => {
  let good: AppCertificate;
  let other: AppCertificate;
  let pkcs1: AppCertificate;
  let expired: AppCertificate;
  let soon: AppCertificate;
  let small: AppCertificate;
  let ctx: SettingsApp;

  beforeAll(async () => {
    [good, other, pkcs1, expired, soon, small] = await Promise.all([
      appCertificate({ commonName: 'contoso-mailer' }),
      appCertificate({ commonName: 'contoso-mailer' }),
      appCertificate({ commonName: 'legacy-openssl', pkcs1: true }),
      appCertificate({ notBefore: daysFromNow(-400), notAfter: daysFromNow(-3) }),
      appCertificate({ notAfter: daysFromNow(10) }),
      appCertificate({ bits: 1024 }),
    ]);
  });
  beforeEach(async () => {
    ctx = await createSettingsApp();
    ctx.installed.add('smtp-oauth');
  });
  afterEach(async () => {
    await ctx.app.close();
  });

  const { clientSecret: _secret, ...NO_CREDENTIAL } = BEARER;
  const withCertificate = (certificate: AppCertificate, extra: Record<string, unknown> = {}) => ({
    ...NO_CREDENTIAL,
    clientCertificate: { certificate: certificate.certificate, privateKey: certificate.privateKey },
    ...extra,
  });
  const put = (body: object) =>
    request(ctx.app.getHttpServer()).put('/smtp-settings').set(AUTH).send(body);
  const get = () => request(ctx.app.getHttpServer()).get('/smtp-settings').set(AUTH).expect(200);

  it('saves a certificate with a PKCS#8 or PKCS#1 key, also with \\n written out as in a JSON file', async () => {
    const saved = await put(withCertificate(pkcs1)).expect(200);
    expect(saved.body.settings.clientCertificate).toEqual({
      subject: 'CN=legacy-openssl',
      thumbprintSha256: pkcs1.thumbprintSha256,
      notAfter: pkcs1.notAfter.toISOString(),
    });
    const escaped = {
      certificate: good.certificate.replace(/\n/g, '\\n'),
      privateKey: good.privateKey.replace(/\n/g, '\\n'),
    };
    await put({ ...NO_CREDENTIAL, clientCertificate: escaped }).expect(200);
    expect((await get()).body.settings.clientCertificate.thumbprintSha256).toBe(
      good.thumbprintSha256,
    );
  });

  it('refuses both credentials and neither, naming them', async () => {
    const both = await put(withCertificate(good, { clientSecret: 'also~1' })).expect(400);
    expect(both.body.errors).toEqual([
      {
        field: 'clientCertificate',
        message: expect.stringContaining('clientSecret or clientCertificate, not both'),
      },
    ]);
    const neither = await put(NO_CREDENTIAL).expect(400);
    expect(neither.body.errors).toEqual([
      { field: 'clientSecret', message: 'clientSecret or clientCertificate is required' },
    ]);
  });

  it.each([
    [
      'a key of another certificate',
      () =>
        withCertificate(good, {
          clientCertificate: { certificate: good.certificate, privateKey: other.privateKey },
        }),
      'clientCertificate',
      'the private key does not belong to this certificate',
    ],
    [
      'an expired certificate',
      () => withCertificate(expired),
      'clientCertificate.certificate',
      'expired on',
    ],
    [
      'a 1024-bit key',
      () => withCertificate(small),
      'clientCertificate.privateKey',
      'at least 2048 bits (this one has 1024)',
    ],
    [
      'a key that is not PEM',
      () =>
        withCertificate(good, {
          clientCertificate: {
            certificate: good.certificate,
            privateKey: 'c2VjcmV0LWtleS1ieXRlcw==',
          },
        }),
      'clientCertificate.privateKey',
      'must be a private key in PEM',
    ],
    [
      'a certificate that is not PEM',
      () =>
        withCertificate(good, {
          clientCertificate: { certificate: 'MIIC', privateKey: good.privateKey },
        }),
      'clientCertificate.certificate',
      'must be a certificate in PEM',
    ],
    [
      'a missing key',
      () => withCertificate(good, { clientCertificate: { certificate: good.certificate } }),
      'clientCertificate.privateKey',
      'clientCertificate.privateKey is required',
    ],
  ])(
    'refuses %s with 400, naming the field, never echoing the key',
    async (_name, body, field, message) => {
      const sent = body();
      const res = await put(sent).expect(400);
      expect(res.body).toMatchObject({ code: 'INVALID_SETTINGS' });
      expect(res.body.errors).toEqual([{ field, message: expect.stringContaining(message) }]);
      const key = (sent.clientCertificate as { privateKey?: string }).privateKey ?? '';
      for (const line of key.split('\n').filter((l) => l.length >= 8 && !l.startsWith('-----'))) {
        expect(JSON.stringify(res.body)).not.toContain(line);
      }
      expect((await get()).body.source).toBe('relay');
    },
  );

  it('saves a certificate that expires within 30 days, with a warning that GET repeats', async () => {
    const saved = await put(withCertificate(soon)).expect(200);
    const warning = expect.stringMatching(
      /^clientCertificate expires on \d{4}-\d\d-\d\d \(in (9|10) days\)/,
    );
    expect(saved.body.warnings).toEqual([warning]);
    const state = (await get()).body;
    expect(state.warnings).toEqual([warning]);
    expect(state.settings.clientCertificate.notAfter).toBe(soon.notAfter.toISOString());
  });

  it('keeps the stored certificate when both are omitted, and asks for it again when the app changes', async () => {
    await put(withCertificate(good)).expect(200);
    const kept = await put({ ...NO_CREDENTIAL, senderName: 'Renamed' }).expect(200);
    expect(kept.body.settings).toMatchObject({
      senderName: 'Renamed',
      clientCertificateSet: true,
      clientCertificate: { thumbprintSha256: good.thumbprintSha256 },
    });
    for (const [label, change] of [
      ['client ID', { clientId: '11111111-2222-4333-8444-555555555555' }],
      ['tenant ID', { tenantId: 'fabrikam.onmicrosoft.com' }],
      [
        'username',
        { username: 'other@contoso.onmicrosoft.com', senderEmail: 'other@contoso.onmicrosoft.com' },
      ],
    ] as const) {
      const res = await put({ ...NO_CREDENTIAL, ...change }).expect(400);
      expect(res.body.errors).toEqual([
        {
          field: 'clientCertificate',
          message: `clientCertificate must be re-entered because ${label} changed`,
        },
      ]);
    }
    const history = await ctx.app.get(SmtpSettingsService).history();
    expect(history.map((h) => h.changed)).toEqual([
      ['senderName'],
      expect.arrayContaining(['clientCertificate']),
    ]);
  });

  it('switches from a client secret to a certificate and back, each time only with the new one', async () => {
    await put(BEARER).expect(200);
    const toCertificate = await put(withCertificate(good)).expect(200);
    expect(toCertificate.body.settings).toMatchObject({ clientCertificateSet: true });
    expect(toCertificate.body.settings).not.toHaveProperty('clientSecretSet');
    let stored = (await ctx.store.get('default'))!.settings as unknown as Record<string, unknown>;
    expect(stored).not.toHaveProperty('clientSecret');
    const history = await ctx.app.get(SmtpSettingsService).history();
    expect(history[0]!.changed).toEqual(['clientCertificate', 'clientSecret']);

    const toSecret = await put(BEARER).expect(200);
    expect(toSecret.body.settings).toMatchObject({ clientSecretSet: true });
    expect(toSecret.body.settings).not.toHaveProperty('clientCertificate');
    stored = (await ctx.store.get('default'))!.settings as unknown as Record<string, unknown>;
    expect(stored).not.toHaveProperty('clientCertificate');
  });

  it('refuses clientCertificate for Google and Basic settings by name', async () => {
    const res = await put({
      type: 'basic',
      hostname: 'mail.example.com',
      port: 25,
      useTls: false,
      username: 'mailer',
      password: 'p4ss-word',
      senderEmail: 'noreply@example.com',
      clientCertificate: { certificate: good.certificate, privateKey: good.privateKey },
    }).expect(400);
    expect(res.body.errors).toEqual([
      { field: 'clientCertificate', message: 'property clientCertificate is not allowed' },
    ]);
  });

  it('documents clientCertificate in the OpenAPI schema of both Microsoft bodies, its key write-only', () => {
    const doc = SwaggerModule.createDocument(ctx.app, new DocumentBuilder().build());
    const schemas = doc.components!.schemas as Record<
      string,
      { properties: Record<string, Record<string, unknown>>; required?: string[] }
    >;
    for (const body of ['BearerSmtpSettingsDto', 'MicrosoftGraphSettingsDto']) {
      expect(schemas[body]!.properties.clientCertificate).toMatchObject({
        allOf: [{ $ref: '#/components/schemas/ClientCertificateDto' }],
        description: expect.stringContaining('instead of clientSecret'),
      });
    }
    const certificate = schemas.ClientCertificateDto!;
    expect(certificate.required?.sort()).toEqual(['certificate', 'privateKey']);
    expect(certificate.properties.privateKey).toMatchObject({
      writeOnly: true,
      format: 'password',
    });
  });
});
