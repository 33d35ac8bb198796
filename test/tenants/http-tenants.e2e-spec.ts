import request from 'supertest';
import type { App } from 'supertest/types';
import {
  InMemorySmtpSettingsStore,
  type SmtpSettingsModuleOptions,
  type SmtpSettingsRequest,
} from '../../lib';
import { ADMIN_TOKEN } from '../fixtures/admin.guard';
import { createSettingsApp, HTTP_ADAPTERS, type SettingsApp } from '../fixtures/settings-app';
import { BASIC, BEARER } from '../fixtures/settings-bodies';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';
import { backupTenantOf } from '../../lib/settings/backup-tenant';

/*
 * The REST adapter per tenant: the `tenant` option runs after the app's guards, every route works on
 * the tenant it returns, and a request without a valid tenant is refused before anything is touched.
 * TestAdminGuard authenticates the admin named by X-Admin-Name; the resolver maps that user to a
 * tenant, as an app maps `req.user` to its organisation.
 */
const TENANT_OF_USER: Record<string, string | undefined> = {
  alice: 'acme',
  bob: 'globex',
  carol: undefined, // an admin whose account names no tenant
  dave: '', // nor does this one
  mallory: '../globex', // a resolver bug: an id that is not valid
};

const tenantOfUser = async (req: SmtpSettingsRequest): Promise<string | undefined> =>
  TENANT_OF_USER[(req.user as { id: string }).id];

const as = (admin: string) => ({ Authorization: `Bearer ${ADMIN_TOKEN}`, 'X-Admin-Name': admin });

/** Every store call, to prove that a refused request reads and writes nothing. */
function countingStore(): { store: InMemorySmtpSettingsStore; calls: string[] } {
  const store = new InMemorySmtpSettingsStore();
  const calls: string[] = [];
  for (const method of ['get', 'put', 'delete', 'history'] as const) {
    const original = store[method].bind(store) as (...args: unknown[]) => unknown;
    (store as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      calls.push(`${method}:${String(args[0])}`);
      return original(...args);
    };
  }
  return { store, calls };
}

describe.each(HTTP_ADAPTERS)('The REST API per tenant on %s', (adapter) => {
  let ctx: SettingsApp;
  let http: App;
  let calls: string[];
  /** Every (upgrade, tenant) the upgrade center was asked about. */
  let asked: string[];
  const installedFor = new Set<string>();

  beforeEach(async () => {
    const counting = countingStore();
    calls = counting.calls;
    asked = [];
    installedFor.clear();
    const options: Partial<SmtpSettingsModuleOptions> = {
      store: counting.store,
      tenant: tenantOfUser,
      upgrades: (id, tenant) => {
        asked.push(`${id}:${tenant}`);
        return installedFor.has(tenant);
      },
      relay: { transport: { host: '127.0.0.1', port: 9 }, from: 'relay@vendor.example' },
    };
    ctx = await createSettingsApp(options, undefined, adapter);
    http = ctx.app.getHttpServer();
    calls.length = 0; // what start-up read (the default tenant) is not a request's doing
  });
  afterEach(() => ctx.app.close());

  it('names the tenant it administers in GET and PUT, with its own versions and ETags', async () => {
    const acme = await request(http).get('/smtp-settings').set(as('alice')).expect(200);
    expect(acme.body).toMatchObject({ tenant: 'acme', source: 'relay', version: 0 });

    const saved = await request(http)
      .put('/smtp-settings')
      .set(as('alice'))
      .set('If-Match', '"0"')
      .send(BASIC)
      .expect(200);
    expect(saved.body).toMatchObject({ tenant: 'acme', source: 'custom', version: 1 });
    expect(saved.headers.etag).toBe('"1"');

    const globex = await request(http).get('/smtp-settings').set(as('bob')).expect(200);
    expect(globex.body).toMatchObject({ tenant: 'globex', source: 'relay', version: 0 });
    expect(globex.headers.etag).toBe('"0"');
    // globex's If-Match is its own version: acme's save does not make it stale.
    await request(http)
      .put('/smtp-settings')
      .set(as('bob'))
      .set('If-Match', '"0"')
      .send({ ...BASIC, hostname: 'smtp.globex.example' })
      .expect(200);
  });

  it('keeps history, reset and capabilities per tenant', async () => {
    installedFor.add('acme');
    await request(http).put('/smtp-settings').set(as('alice')).send(BEARER).expect(200);
    const refused = await request(http).put('/smtp-settings').set(as('bob')).send(BEARER);
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('UPGRADE_REQUIRED');

    const capsAcme = await request(http).get('/smtp-settings/capabilities').set(as('alice'));
    const capsGlobex = await request(http).get('/smtp-settings/capabilities').set(as('bob'));
    expect(capsAcme.body.authTypes).toEqual(['basic', 'bearer']);
    expect(capsGlobex.body.authTypes).toEqual(['basic']);
    expect(asked).toEqual(expect.arrayContaining(['smtp-oauth:acme', 'smtp-oauth:globex']));

    const historyAcme = await request(http).get('/smtp-settings/history').set(as('alice'));
    const historyGlobex = await request(http).get('/smtp-settings/history').set(as('bob'));
    expect(historyAcme.body).toEqual([expect.objectContaining({ version: 1, by: 'alice' })]);
    expect(historyGlobex.body).toEqual([]);

    await request(http).delete('/smtp-settings').set(as('bob')).expect(204);
    const after = await request(http).get('/smtp-settings').set(as('alice')).expect(200);
    expect(after.body).toMatchObject({ tenant: 'acme', source: 'custom', version: 1 });
  });

  it('shows whether mail can go out for the tenant: its upgrade, not another tenant’s', async () => {
    installedFor.add('acme');
    await request(http).put('/smtp-settings').set(as('alice')).send(BEARER).expect(200);
    installedFor.add('globex');
    installedFor.delete('acme'); // removed for acme only
    const acme = await request(http).get('/smtp-settings').set(as('alice')).expect(200);
    expect(acme.body.delivery).toMatchObject({ canSend: false, reason: 'upgrade-removed' });
    const globex = await request(http).get('/smtp-settings').set(as('bob')).expect(200);
    expect(globex.body.delivery).toMatchObject({ canSend: true, reason: null });
  });

  it.each([
    ['carol', 'the tenant option found none for the authenticated caller'],
    ['dave', 'the tenant option found none for the authenticated caller'],
    ['mallory', 'the id that the tenant option returned must start with a letter or digit'],
  ])(
    'answers 403 TENANT_REQUIRED on every route for %s, and touches nothing',
    async (admin, why) => {
      const routes = [
        request(http).get('/smtp-settings'),
        request(http).put('/smtp-settings').send(BASIC),
        request(http).put('/smtp-settings').send(BEARER),
        request(http).delete('/smtp-settings'),
        request(http).post('/smtp-settings/verify').send(BASIC),
        request(http).post('/smtp-settings/test-email').send({ to: 'a@example.com' }),
        request(http).get('/smtp-settings/capabilities'),
        request(http).get('/smtp-settings/history'),
      ];
      for (const route of routes) {
        const res = await route.set(as(admin));
        expect(res.status).toBe(403);
        expect(res.body).toEqual({
          statusCode: 403,
          code: 'TENANT_REQUIRED',
          message: expect.stringContaining(`This request has no tenant: ${why}`),
        });
      }
      expect(calls).toEqual([]);
      expect(asked).toEqual([]);
    },
  );

  it('runs the tenant option only after the app’s guards passed', async () => {
    await request(http).get('/smtp-settings').expect(401);
    await request(http)
      .get('/smtp-settings')
      .set({ Authorization: 'Bearer wrong', 'X-Admin-Name': 'alice' })
      .expect(403)
      .expect((res) => expect(res.body.code).toBeUndefined());
    expect(calls).toEqual([]);
  });
});

describe('The REST API without the tenant option', () => {
  let peer: SmtpPeer;
  let ctx: SettingsApp;

  beforeAll(async () => {
    peer = await startSmtpPeer();
  });
  afterAll(async () => {
    await ctx?.app.close();
    await peer?.close();
  });

  it('administers defaultTenant on every route, and says so', async () => {
    const { store, calls } = countingStore();
    ctx = await createSettingsApp({ store, defaultTenant: 'main' });
    const http = ctx.app.getHttpServer();
    const auth = as('alice');
    const body = { ...BASIC, hostname: peer.host, port: peer.port };
    expect((await request(http).get('/smtp-settings').set(auth)).body.tenant).toBe('main');
    expect((await request(http).put('/smtp-settings').set(auth).send(body)).body.tenant).toBe(
      'main',
    );
    const sent = await request(http)
      .post('/smtp-settings/test-email')
      .set(auth)
      .send({ to: 'a@example.com' });
    expect(sent.body).toMatchObject({ ok: true, route: 'custom' });
    await request(http).get('/smtp-settings/history').set(auth).expect(200);
    await request(http).delete('/smtp-settings').set(auth).expect(204);
    // The tenant's own record, and its backup connection's (GET and history show it too).
    expect(new Set(calls.map((call) => call.split(':')[1]))).toEqual(
      new Set(['main', backupTenantOf('main')]),
    );
  });
});
