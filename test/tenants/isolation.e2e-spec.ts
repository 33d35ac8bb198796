import type { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { MailerService, type SmtpSettingsStore } from '../lib';
import { BEARER } from './fixtures/settings-bodies';
import { CapturingLogger, createTenantApp } from './fixtures/tenant-app';
import {
  ACME,
  basicOf,
  clientOf,
  closeTenantServers,
  GLOBEX,
  markersOfB,
  moduleOptions,
  STORE_KITS,
  TOKEN,
  type Client,
  type Method,
  type StoreKit,
  type TenantServers,
  startTenantServers,
} from './fixtures/tenant-isolation-kit';
import { TenantObserver } from './fixtures/tenant-observer';

const MESSAGE = { to: 'someone@example.com', subject: 'Isolation', text: 'x' };

describe.each(['file', 'postgres'] as const)('Two tenants, two admins, on the %s store', (kind) => {
  const logger = new CapturingLogger();
  // A is watched: no answer, log line or event of A's actions may name anything of B.
  const observer = new TenantObserver(logger, 'acme');
  const encryptionKey = randomBytes(32).toString('base64');
  const apps: INestApplication[] = [];
  let servers: TenantServers;
  let kit: StoreKit;
  let store: SmtpSettingsStore;
  let app: INestApplication;
  let call: Client;
  let unscanned: Client;

  beforeAll(async () => {
    servers = await startTenantServers();
    kit = await STORE_KITS[kind]();
    store = kit.make(logger);
    app = await createTenantApp(store, logger, moduleOptions(encryptionKey));
    apps.push(app);
    observer.follow(app);
    call = clientOf(app, observer);
    unscanned = clientOf(app);
    // B at version 3, A at 1: B's version in A's answers would show.
    for (const senderName of ['Globex 1', 'Globex 2', GLOBEX.senderName]) {
      const res = await call(TOKEN.globex, 'put', '', basicOf(servers, 'globex', { senderName }));
      expect(res.status).toBe(200);
    }
    expect((await call(TOKEN.acme, 'put', '', basicOf(servers, 'acme'))).status).toBe(200);
    observer.setMarkers(await markersOfB(servers, store));
  });
  beforeEach(() => observer.watch());
  afterEach(() => expect(observer.leaks()).toEqual([]));
  afterAll(async () => {
    observer.close();
    await Promise.all(apps.map((a) => a.close()));
    await closeTenantServers(servers);
    await kit?.drop();
  });

  /** B's own actions, which the scan of A's must not count. */
  async function asB<T>(work: () => Promise<T>): Promise<T> {
    const result = await work();
    observer.watch();
    return result;
  }

  /** What no action of A may change: B's record and history, and B's server untouched. */
  async function snapshotOfB() {
    return {
      record: await store.get('globex'),
      history: await store.history('globex'),
      connections: servers.bAlias.connections,
      messages: servers.b.messages.length,
    };
  }

  it("shows the admin of A only A's settings, whatever tenant the request names", async () => {
    const naming: Record<string, string>[] = [
      {},
      { 'X-Tenant': 'globex', 'X-Tenant-Id': 'globex' },
    ];
    for (const headers of naming) {
      for (const path of ['', '?tenant=globex']) {
        const res = await call(TOKEN.acme, 'get', path, undefined, headers);
        expect(res.status).toBe(200);
        expect(res.headers.etag).toBe('"1"');
        expect(res.body).toMatchObject({
          tenant: 'acme',
          version: 1,
          settings: { hostname: servers.a.host, username: ACME.username, senderEmail: ACME.sender },
        });
      }
    }
    const ofB = await asB(() => call(TOKEN.globex, 'get', ''));
    expect(ofB.body).toMatchObject({ tenant: 'globex', version: 3 });
  });

  it("lets the admin of A change A's settings only, also when the request names B", async () => {
    const before = await snapshotOfB();
    const extra = { senderName: 'Acme' };
    const saved = await call(TOKEN.acme, 'put', '?tenant=globex', basicOf(servers, 'acme', extra), {
      'X-Tenant': 'globex',
    });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ tenant: 'acme', version: 2, settings: extra });

    const named = await call(TOKEN.acme, 'put', '', {
      ...basicOf(servers, 'acme'),
      tenant: 'globex',
    });
    expect(named.status).toBe(400);
    expect(named.body.errors).toEqual([expect.objectContaining({ field: 'tenant' })]);

    // B's server and account without a password: a stored secret is reused within A only.
    const { password: _password, ...borrowing } = basicOf(servers, 'globex');
    for (const path of ['', '/verify']) {
      const borrowed = await unscanned(TOKEN.acme, path ? 'post' : 'put', path, borrowing);
      expect(borrowed.status).toBe(400);
      expect(borrowed.body.errors).toEqual([expect.objectContaining({ field: 'password' })]);
      expect(borrowed.text).not.toContain(GLOBEX.password);
    }

    // B's ETag (version 3) is no key to A's record; the conflict names A's version.
    const stale = await call(TOKEN.acme, 'put', '', basicOf(servers, 'acme'), {
      'If-Match': '"3"',
    });
    expect(stale.status).toBe(412);
    expect(stale.body).toMatchObject({ code: 'VERSION_CONFLICT', currentVersion: 2 });
    expect(await snapshotOfB()).toEqual(before);
  });

  it("verifies and test-sends through A's server only, never B's", async () => {
    const before = await snapshotOfB();
    const verified = await call(TOKEN.acme, 'post', '/verify?tenant=globex');
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ ok: true, route: 'custom' });
    const unsaved = await call(TOKEN.acme, 'post', '/verify', basicOf(servers, 'acme'));
    expect(unsaved.body).toMatchObject({ ok: true, route: 'custom' });
    expect(servers.a.authAttempts.map((a) => a.username)).not.toContain(GLOBEX.username);

    const tested = await call(TOKEN.acme, 'post', '/test-email', { to: 'admin@acme.example' });
    expect(tested.status).toBe(200);
    expect(tested.body).toMatchObject({ ok: true, route: 'custom' });
    const [message] = await servers.a.waitForMessages(1);
    expect(message).toMatchObject({
      user: ACME.username,
      envelope: { from: ACME.sender, to: ['admin@acme.example'] },
    });
    expect(await snapshotOfB()).toEqual(before);
  });

  it("shows the admin of A A's history and capabilities only", async () => {
    const history = await call(TOKEN.acme, 'get', '/history');
    expect(history.status).toBe(200);
    expect(history.body.map((e: { version: number }) => e.version)).toEqual([2, 1]);
    expect(new Set(history.body.map((e: { by: string }) => e.by))).toEqual(new Set(['admin-acme']));

    // The upgrade is installed for B: A is offered Basic only, and cannot save Bearer.
    const capabilities = await call(TOKEN.acme, 'get', '/capabilities');
    expect(capabilities.body).toMatchObject({
      authTypes: ['basic'],
      upgrade: { installed: false },
    });
    const bearer = await call(TOKEN.acme, 'put', '', BEARER);
    expect(bearer.status).toBe(403);
    expect(bearer.body).toMatchObject({ code: 'UPGRADE_REQUIRED' });
    const ofB = await asB(() => call(TOKEN.globex, 'get', '/capabilities'));
    expect(ofB.body).toMatchObject({ upgrade: { installed: true } });
  });

  it("keeps B's failed sends out of A's delivery view, status and events", async () => {
    const mailer = app.get(MailerService);
    await asB(async () => {
      const failed = mailer.forTenant('globex').send({ ...MESSAGE, to: GLOBEX.refused });
      await expect(failed).rejects.toThrow();
      const view = await call(TOKEN.globex, 'get', '');
      expect(view.body.delivery.lastFailure).not.toBeNull();
    });
    const view = await call(TOKEN.acme, 'get', '');
    expect(view.body.delivery).toMatchObject({ canSend: true, lastFailure: null });
    const status = await mailer.status('acme');
    observer.record(JSON.stringify(status));
    expect(status).toMatchObject({ route: 'custom', lastError: null });
    const sent = await mailer.send(MESSAGE, { tenant: 'acme' });
    observer.record(JSON.stringify(sent));
    expect(sent).toMatchObject({ route: 'custom' });
    expect(observer.events.filter((e) => e.source === 'mail').at(-1)).toMatchObject({
      tenant: 'acme',
    });
  });

  it('reverts A only to the relay; B keeps its settings', async () => {
    const before = await snapshotOfB();
    const reset = await call(TOKEN.acme, 'delete', '?tenant=globex', undefined, {
      'X-Tenant': 'globex',
    });
    expect(reset.status).toBe(204);
    expect((await call(TOKEN.acme, 'get', '')).body).toMatchObject({
      tenant: 'acme',
      source: 'relay',
    });
    expect(await snapshotOfB()).toEqual(before);
    expect((await call(TOKEN.acme, 'put', '', basicOf(servers, 'acme'))).status).toBe(200);
  });

  // Three cells in every row: a shorter one would make jest pass `done` as the body.
  const ROUTES: Array<[Method, string, 'settings' | 'recipient' | 'none']> = [
    ['get', '', 'none'],
    ['put', '', 'settings'],
    ['delete', '', 'none'],
    ['post', '/verify', 'none'],
    ['post', '/test-email', 'recipient'],
    ['get', '/capabilities', 'none'],
    ['get', '/history', 'none'],
  ];

  it.each(ROUTES)(
    'answers %s /smtp-settings%s without a tenant: 403 TENANT_REQUIRED, nothing touched',
    async (method, path, kind) => {
      const body = {
        settings: basicOf(servers, 'acme'),
        recipient: { to: 'someone@example.com' },
        none: undefined,
      }[kind];
      const touched = async () => ({
        records: await Promise.all(['acme', 'globex', 'default'].map((t) => store.get(t))),
        connections: [servers.a.connections, servers.bAlias.connections],
        events: observer.events.length,
      });
      const before = await touched();
      const missing = await call(TOKEN.nobody, method, path, body);
      expect(missing.status).toBe(403);
      expect(missing.body).toMatchObject({
        code: 'TENANT_REQUIRED',
        message: expect.stringMatching(/^This request has no tenant: /),
      });
      // The resolver's id is invalid: the server is at fault, not the caller's body.
      const invalid = await call(TOKEN.bad, method, path, body);
      expect(invalid.status).toBe(403);
      expect(invalid.body).toMatchObject({
        code: 'TENANT_REQUIRED',
        message: expect.stringContaining('../globex'),
      });
      expect(await touched()).toEqual(before);
    },
  );

  it("cannot open A's sealed record copied into B's place: B's admin is told, and nothing is sent", async () => {
    await asB(async () => {
      const recordOfA = (await store.get('acme'))!;
      await store.put('globex', recordOfA.settings!, {
        at: new Date().toISOString(),
        by: null,
        changed: [],
      });
      // A replica started after the copy reads it from the store.
      const replica = await createTenantApp(kit.make(logger), logger, moduleOptions(encryptionKey));
      apps.push(replica);
      const onReplica = clientOf(replica);
      const connections = servers.a.connections;

      const view = await onReplica(TOKEN.globex, 'get', '');
      expect(view.body).toMatchObject({
        tenant: 'globex',
        settings: { passwordSet: false },
        delivery: { canSend: false, reason: 'secret-unavailable' },
      });
      expect(view.body.warnings).toEqual([expect.stringMatching(/cannot be opened/)]);
      const tested = await onReplica(TOKEN.globex, 'post', '/test-email', { to: 'x@example.com' });
      expect([200, 503]).toContain(tested.status);
      expect(tested.body).toMatchObject({ code: 'DELIVERY_UNAVAILABLE' });
      expect(tested.body.ok).not.toBe(true);
      const send = replica.get(MailerService).send(MESSAGE, { tenant: 'globex' });
      await expect(send).rejects.toMatchObject({ status: 503, code: 'DELIVERY_UNAVAILABLE' });
      expect(servers.a.connections).toBe(connections);
      // A's own record still opens.
      expect((await onReplica(TOKEN.acme, 'get', '')).body.settings.passwordSet).toBe(true);
    });
  });
});
