import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootstrap } from '../../sample-app/bootstrap';
import {
  CapturingLogger,
  CLEAN_ENV,
  startSampleApp,
  type SampleAppHarness,
} from '../fixtures/sample-app-harness';

const TOKEN_DEFAULT = 'default-admin-token-55aa01';
const TOKEN_ACME = 'acme-admin-token-7c1e93';
const TOKEN_GLOBEX = 'globex-admin-token-2d9f44';
const ADMIN_TOKENS = `${TOKEN_ACME}:acme, ${TOKEN_GLOBEX}:globex`;

interface InboxMessage {
  subject: string;
  authenticatedAs: string | null;
}

/*
 * Two tenants, two admins, one sample app: each admin token administers its own tenant's settings,
 * upgrades and mail, and sees nothing of the other's.
 */
describe('The sample app with ADMIN_TOKENS (two tenants)', () => {
  let h: SampleAppHarness;

  beforeAll(async () => {
    h = await startSampleApp({ ADMIN_TOKENS }, TOKEN_DEFAULT);
  });
  afterAll(() => h?.close());

  const settingsFor = (username: string) => ({
    type: 'basic',
    hostname: h.started.devInbox!.host,
    port: h.started.devInbox!.port,
    username,
    password: `${username}-password-61f0`,
    senderEmail: `noreply@${username}.example`,
    useTls: false,
  });
  const inbox = async (): Promise<InboxMessage[]> =>
    (await h.call('GET', '/inbox/messages', undefined, null)).body.messages;
  const notify = (token: string, subject: string) =>
    h.call('POST', '/notifications', { to: 'user@example.com', subject, text: 'x' }, token);

  it('logs the tenants that have an admin, and no token', () => {
    expect(h.logger.text).toContain(
      'Admin tokens: the ones in ADMIN_TOKEN/ADMIN_TOKENS, for the tenants default, acme, globex',
    );
    expect(h.logger.text).toContain(
      'Upgrades installed: default: none; acme: none; globex: none; changes on the admin page are kept in',
    );
    for (const token of [TOKEN_DEFAULT, TOKEN_ACME, TOKEN_GLOBEX]) {
      expect(h.logger.text).not.toContain(token);
    }
  });

  it('lets each token administer its own tenant, named in GET /smtp-settings', async () => {
    for (const [token, tenant] of [
      [TOKEN_DEFAULT, 'default'],
      [TOKEN_ACME, 'acme'],
      [TOKEN_GLOBEX, 'globex'],
    ]) {
      const res = await h.call('GET', '/smtp-settings', undefined, token);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ tenant, source: 'relay', version: 0 });
    }
    expect((await h.call('GET', '/smtp-settings', undefined, 'acme')).status).toBe(403);
  });

  it('keeps settings and history apart: acme’s save changes nothing of globex', async () => {
    const saved = await h.call('PUT', '/smtp-settings', settingsFor('acme'), TOKEN_ACME);
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ tenant: 'acme', source: 'custom', version: 1 });

    const globex = await h.call('GET', '/smtp-settings', undefined, TOKEN_GLOBEX);
    expect(globex.body).toMatchObject({ tenant: 'globex', source: 'relay', version: 0 });
    expect(globex.text).not.toContain('acme');
    const history = await h.call('GET', '/smtp-settings/history', undefined, TOKEN_GLOBEX);
    expect(history.body).toEqual([]);
    const acmeHistory = await h.call('GET', '/smtp-settings/history', undefined, TOKEN_ACME);
    expect(acmeHistory.body).toEqual([
      expect.objectContaining({ version: 1, by: 'admin@acme', action: 'update' }),
    ]);

    // globex reverting to the relay leaves acme's settings where they are.
    expect((await h.call('DELETE', '/smtp-settings', undefined, TOKEN_GLOBEX)).status).toBe(204);
    const acme = await h.call('GET', '/smtp-settings', undefined, TOKEN_ACME);
    expect(acme.body).toMatchObject({ source: 'custom', version: 1 });
    const verify = await h.call('POST', '/smtp-settings/verify', undefined, TOKEN_GLOBEX);
    expect(verify.body).toMatchObject({ ok: true, route: 'relay' });
  });

  it('sends each admin’s notifications for that admin’s tenant', async () => {
    await h.call('PUT', '/smtp-settings', settingsFor('globex'), TOKEN_GLOBEX);
    await h.call('DELETE', '/inbox/messages', undefined, null);

    const acme = await notify(TOKEN_ACME, 'For acme');
    const globex = await notify(TOKEN_GLOBEX, 'For globex');
    const fallback = await notify(TOKEN_DEFAULT, 'For default');
    expect([acme.status, globex.status, fallback.status]).toEqual([202, 202, 202]);
    expect(acme.body.route).toBe('custom');
    expect(globex.body.route).toBe('custom');
    expect(fallback.body.route).toBe('relay');

    const bySubject = new Map((await inbox()).map((m) => [m.subject, m.authenticatedAs]));
    // The dev inbox records the login of each connection: each tenant's own account.
    expect(bySubject.get('For acme')).toBe('acme');
    expect(bySubject.get('For globex')).toBe('globex');
    expect(bySubject.get('For default')).toBeNull();
  });

  it('installs upgrades for the caller’s tenant only, kept per tenant in DATA_DIR', async () => {
    expect((await h.call('PUT', '/upgrades/smtp-oauth', undefined, TOKEN_ACME)).status).toBe(204);
    const list = async (token: string) => (await h.call('GET', '/upgrades', undefined, token)).body;
    expect(await list(TOKEN_ACME)).toEqual({ tenant: 'acme', installed: ['smtp-oauth'] });
    expect(await list(TOKEN_GLOBEX)).toEqual({ tenant: 'globex', installed: [] });
    expect(await list(TOKEN_DEFAULT)).toEqual({ tenant: 'default', installed: [] });

    const caps = async (token: string) =>
      (await h.call('GET', '/smtp-settings/capabilities', undefined, token)).body.authTypes;
    expect(await caps(TOKEN_ACME)).toEqual(['basic', 'bearer']);
    expect(await caps(TOKEN_GLOBEX)).toEqual(['basic']);

    const bearer = {
      type: 'bearer',
      provider: 'microsoft',
      hostname: 'smtp.office365.com',
      port: 587,
      useTls: true,
      username: 'noreply@globex.example',
      senderEmail: 'noreply@globex.example',
      clientId: '11111111-2222-3333-4444-555555555555',
      clientSecret: 'globex-client-secret',
      tenantId: 'globex.onmicrosoft.com',
    };
    const refused = await h.call('PUT', '/smtp-settings', bearer, TOKEN_GLOBEX);
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('UPGRADE_REQUIRED');

    const file = JSON.parse(await readFile(join(h.dataDir, 'upgrades.json'), 'utf8'));
    expect(file).toEqual({ tenants: { acme: ['smtp-oauth'] } });
  });

  it('documents the 403 of a request without a tenant, and the tenant field', async () => {
    const { body: doc } = await h.call('GET', '/docs-json', undefined, null);
    const get = doc.paths['/smtp-settings'].get;
    expect(get.responses['403'].description).toContain('TENANT_REQUIRED');
    expect(get.responses['200'].content['application/json'].schema.properties.tenant).toEqual(
      expect.objectContaining({ type: 'string' }),
    );
    for (const [path, method] of [
      ['/smtp-settings', 'put'],
      ['/smtp-settings/verify', 'post'],
      ['/smtp-settings/history', 'get'],
    ] as const) {
      expect(doc.paths[path][method].responses['403'].description).toContain('TENANT_REQUIRED');
    }
  });
});

describe('Starting the sample app with tenants', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sample-tenants-'));
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  it('reads an upgrades.json of the single-tenant shape as the default tenant’s', async () => {
    await writeFile(join(dataDir, 'upgrades.json'), '{ "installed": ["smtp-oauth"] }\n');
    const started = await bootstrap({
      env: { ...CLEAN_ENV, DATA_DIR: dataDir, ADMIN_TOKEN: TOKEN_DEFAULT, ADMIN_TOKENS },
      logger: new CapturingLogger(),
    });
    try {
      const list = async (token: string) =>
        (await fetch(`${started.urls.base}/upgrades`, {
          headers: { Authorization: `Bearer ${token}` },
        }).then((res) => res.json())) as unknown;
      expect(await list(TOKEN_DEFAULT)).toEqual({ tenant: 'default', installed: ['smtp-oauth'] });
      expect(await list(TOKEN_ACME)).toEqual({ tenant: 'acme', installed: [] });
    } finally {
      await started.app.close();
    }
  });

  it.each([
    ['no-colon-here', 'ADMIN_TOKENS entry 1 must be token:tenant, such as token-a:acme'],
    [':acme', 'ADMIN_TOKENS entry 1 has no token before the colon'],
    [
      'secret-token-1:../acme',
      'the tenant of ADMIN_TOKENS entry 1 must start with a letter or digit: "../acme"',
    ],
    [
      'secret-token-1:acme,secret-token-1:globex',
      'ADMIN_TOKENS entry 2 repeats a token given before',
    ],
  ])(
    'refuses ADMIN_TOKENS=%j with a message that names the entry, not the token',
    async (value, message) => {
      const logger = new CapturingLogger();
      const start = bootstrap({
        env: { ...CLEAN_ENV, DATA_DIR: dataDir, ADMIN_TOKENS: value },
        logger,
      });
      const error = (await start.then(
        () => new Error('started'),
        (e: unknown) => e,
      )) as Error;
      expect(error.message).toContain(message);
      expect(error.message).not.toContain('secret-token-1');
      expect(logger.text).not.toContain('secret-token-1');
    },
  );
});
