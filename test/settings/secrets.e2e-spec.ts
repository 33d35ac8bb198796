import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filter, firstValueFrom } from 'rxjs';
import request from 'supertest';
import {
  FileSmtpSettingsStore,
  InMemorySmtpSettingsStore,
  MailerService,
  SettingsVersionConflictError,
  SmtpSettingsService,
  type SealedSmtpSettings,
  type SmtpSettingsModuleOptions,
  type SmtpSettingsRecord,
} from '../../lib';
import { StoreUnavailableError } from '../../lib/errors/store-unavailable.error';
import { MIGRATION_ACTOR } from '../../lib/settings/legacy-secret-migration';
import { ADMIN_TOKEN } from '../fixtures/admin.guard';
import { FakeEntraId, type FakeApp } from '../fixtures/fake-entra-id';
import { sealAsV1 } from '../fixtures/legacy-seal';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';
import { startSmtpPeer, type SmtpPeer, type SmtpPeerOptions } from '../fixtures/smtp-peer';
import { trustedTestCa } from '../fixtures/test-ca';
import { basicSettingsFor } from '../fixtures/peer-settings';

const AUTH = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const PASSWORD = 'secrets-spec-P4ss!';
const USERS = { mailer: PASSWORD };
const UNOPENABLE =
  /^the stored password cannot be opened \(.+\): enter it again in the SMTP settings$/;

describe('Stored secrets', () => {
  const peers: SmtpPeer[] = [];
  const apps: SettingsApp[] = [];
  const dirs: string[] = [];
  let ca: string;

  beforeAll(async () => {
    ca = (await trustedTestCa()).ca;
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.app.close()));
    await Promise.all(peers.splice(0).map((p) => p.close()));
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  async function peer(options: SmtpPeerOptions = {}): Promise<SmtpPeer> {
    const started = await startSmtpPeer({ users: USERS, ...options });
    peers.push(started);
    return started;
  }

  async function app(options: Partial<SmtpSettingsModuleOptions> = {}): Promise<SettingsApp> {
    const created = await createSettingsApp({
      tls: { ca },
      retry: { attempts: 1, baseDelayMs: 5 },
      ...options,
    });
    apps.push(created);
    return created;
  }

  const basicFor = (target: SmtpPeer, extra: Record<string, unknown> = {}) =>
    basicSettingsFor(target, PASSWORD, extra);

  function withoutSecret(body: Record<string, unknown>) {
    const { password: _password, clientSecret: _clientSecret, ...rest } = body;
    return rest;
  }

  const http = (ctx: SettingsApp) => request(ctx.app.getHttpServer());
  const put = (ctx: SettingsApp, body: unknown) =>
    http(ctx)
      .put('/smtp-settings')
      .set(AUTH)
      .send(body as object);
  const verify = (ctx: SettingsApp, body?: unknown) => {
    const req = http(ctx).post('/smtp-settings/verify').set(AUTH);
    return body === undefined ? req : req.send(body as object);
  };

  /**
   * Verify of saved settings whose secret cannot be opened: a clear answer, as a failed result or
   * a 503, that tells the admin to enter it again; never a 500, never a connection.
   */
  async function expectVerifyBlocked(ctx: SettingsApp): Promise<void> {
    const res = await verify(ctx);
    expect([200, 503]).toContain(res.status);
    expect(res.body.ok).not.toBe(true);
    expect(res.body).toMatchObject({
      code: 'DELIVERY_UNAVAILABLE',
      message: expect.stringMatching(UNOPENABLE),
    });
  }

  /** Writes a record as someone with access to the store but not to the key would. */
  async function tamper(ctx: SettingsApp, change: Record<string, unknown>): Promise<void> {
    const record = (await ctx.store.get('default'))!;
    const service = ctx.app.get(SmtpSettingsService);
    const followed = firstValueFrom(
      service.changes$.pipe(filter((event) => event.version === record.version + 1)),
    );
    await ctx.store.put('default', { ...record.settings, ...change } as SealedSmtpSettings, {
      at: new Date().toISOString(),
      by: 'mallory',
      changed: Object.keys(change),
    });
    await followed;
  }

  describe('a change of TLS needs the secret again', () => {
    it('refuses to reuse the password with Send using TLS turned off, on PUT and verify, sending nothing', async () => {
      const server = await peer({ tls: 'starttls' });
      const ctx = await app();
      await put(ctx, basicFor(server)).expect(200);
      const downgraded = withoutSecret(basicFor(server, { useTls: false }));

      for (const res of [await put(ctx, downgraded), await verify(ctx, downgraded)]) {
        expect(res.status).toBe(400);
        expect(res.body.errors).toEqual([
          {
            field: 'password',
            message: 'password must be re-entered because Send using TLS changed',
          },
        ]);
      }
      expect(server.connections).toBe(0);
      expect((await ctx.store.get('default'))?.version).toBe(1);
    });

    it('refuses to reuse the password when the TLS mode changes', async () => {
      const server = await peer({ tls: 'starttls' });
      const ctx = await app();
      await put(ctx, basicFor(server)).expect(200);

      const res = await put(ctx, withoutSecret(basicFor(server, { tlsMode: 'implicit' })));
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([
        { field: 'password', message: 'password must be re-entered because TLS mode changed' },
      ]);
    });

    it('names every destination change in the admin words', async () => {
      const server = await peer({ tls: 'starttls' });
      const ctx = await app();
      await put(ctx, basicFor(server)).expect(200);

      const res = await put(
        ctx,
        withoutSecret(basicFor(server, { hostname: 'localhost', port: 2525, useTls: false })),
      );
      expect(res.body.errors).toEqual([
        {
          field: 'password',
          message: 'password must be re-entered because hostname, port and Send using TLS changed',
        },
      ]);
    });

    it('still reuses the password when the TLS mode is only spelled out', async () => {
      const server = await peer({ tls: 'starttls' });
      const ctx = await app();
      await put(ctx, basicFor(server)).expect(200);

      await put(ctx, withoutSecret(basicFor(server, { tlsMode: 'starttls' }))).expect(200);
      await ctx.app.get(MailerService).send({ to: 'a@example.com', text: 'x' });
      expect((await server.waitForMessages(1))[0]).toMatchObject({ user: 'mailer', secure: true });
    });
  });

  describe('every problem at once', () => {
    it('lists a missing password with the other missing fields when none is stored', async () => {
      const ctx = await app();
      const res = await put(ctx, { type: 'basic' }).expect(400);
      expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(
        ['hostname', 'password', 'port', 'senderEmail', 'useTls', 'username'].sort(),
      );
      expect(res.body.errors).toContainEqual({
        field: 'password',
        message: 'password is required',
      });
    });

    it('lists a missing client secret with the other missing fields, also when Basic settings are stored', async () => {
      const server = await peer();
      const ctx = await app();
      ctx.installed.add('smtp-oauth');
      await put(ctx, basicFor(server)).expect(200);

      const res = await put(ctx, { type: 'bearer' }).expect(400);
      expect(res.body.errors).toContainEqual({
        field: 'clientSecret',
        message: 'clientSecret or clientCertificate is required',
      });
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(
        expect.arrayContaining(['hostname', 'username', 'clientId', 'tenantId', 'provider']),
      );
    });
  });

  describe('a secret bound to its destination', () => {
    it.each([
      ['hostname and port', 'attacker'],
      ['Send using TLS', 'tls'],
      ['username', 'username'],
    ] as const)(
      'never sends the password once its %s change in the store, written without the key',
      async (_what, kind) => {
        const server = await peer({ tls: 'starttls' });
        const attacker = await peer({
          onAuth: (_auth, _session, done) => done(null, { user: 'x' }),
        });
        const ctx = await app();
        await put(ctx, basicFor(server)).expect(200);
        const change =
          kind === 'attacker'
            ? { hostname: attacker.host, port: attacker.port, useTls: false }
            : kind === 'tls'
              ? { useTls: false }
              : { username: 'admin' };

        await tamper(ctx, change);

        const state = await http(ctx).get('/smtp-settings').set(AUTH).expect(200);
        expect(state.body.settings.passwordSet).toBe(false);
        expect(state.body.warnings).toContainEqual(expect.stringMatching(UNOPENABLE));
        await expect(
          ctx.app.get(MailerService).send({ to: 'a@example.com', text: 'x' }),
        ).rejects.toMatchObject({
          code: 'DELIVERY_UNAVAILABLE',
          reason: 'secret-unavailable',
          message: expect.stringMatching(UNOPENABLE),
        });
        await expectVerifyBlocked(ctx);
        expect(attacker.connections).toBe(0);
        expect(server.connections).toBe(0);
        expect(await ctx.app.get(SmtpSettingsService).secretProblem()).toMatch(UNOPENABLE);
      },
    );

    it.each([
      ['a password that is not a sealed secret', { password: 'plain-text' }],
      ['no password at all', { password: undefined }],
      ['a password of the wrong kind', { password: 42 }],
      ['a hostname of the wrong kind', { hostname: 42 }],
    ])('reports a record with %s, and never answers 500', async (_what, change) => {
      const server = await peer({ tls: 'starttls' });
      const ctx = await app();
      await put(ctx, basicFor(server)).expect(200);
      await tamper(ctx, change);

      const state = await http(ctx).get('/smtp-settings').set(AUTH).expect(200);
      expect(state.body.settings.passwordSet).toBe(false);
      expect(state.body.warnings).toContainEqual(expect.stringMatching(UNOPENABLE));
      await expectVerifyBlocked(ctx);
      await http(ctx).delete('/smtp-settings').set(AUTH).expect(204);
      expect(server.connections).toBe(0);
    });

    it('asks for the password when an altered record would otherwise be reused', async () => {
      const server = await peer({ tls: 'starttls' });
      const attacker = await peer();
      const ctx = await app();
      await put(ctx, basicFor(server)).expect(200);
      await tamper(ctx, { hostname: attacker.host, port: attacker.port, useTls: false });

      const res = await put(ctx, withoutSecret(basicFor(attacker))).expect(400);
      expect(res.body.errors).toEqual([
        { field: 'password', message: expect.stringMatching(UNOPENABLE) },
      ]);
      const back = await put(ctx, withoutSecret(basicFor(server))).expect(400);
      expect(back.body.errors[0].message).toMatch(/^password must be re-entered because/);
      expect(attacker.connections).toBe(0);
    });

    it('does not open a secret copied to another tenant', async () => {
      const server = await peer({ tls: 'starttls' });
      const store = new InMemorySmtpSettingsStore();
      const key = randomBytes(32).toString('base64');
      const first = await app({ store, encryptionKey: key });
      await put(first, basicFor(server)).expect(200);
      const record = (await store.get('default'))!;
      await store.put('tenant-2', record.settings!, {
        at: record.updatedAt,
        by: null,
        changed: [],
      });

      const second = await app({ store, encryptionKey: key, defaultTenant: 'tenant-2' });
      const state = await http(second).get('/smtp-settings').set(AUTH).expect(200);
      expect(state.body.settings.passwordSet).toBe(false);
      await expectVerifyBlocked(second);
      expect(server.connections).toBe(0);
    });

    describe('Bearer', () => {
      let entra: FakeEntraId;
      let entraApp: FakeApp;
      beforeEach(async () => {
        entra = await FakeEntraId.start();
        entraApp = entra.register({
          tenantId: '9a8b7c6d-aaaa-4bbb-8ccc-ddddeeeeffff',
          domain: 'contoso.onmicrosoft.com',
          clientId: '0b1e2f3a-1111-4222-8333-444455556666',
          clientSecret: 'secrets-spec-entra~1',
        });
      });
      afterEach(() => entra.close());

      it('never asks for a token with the client secret once the tenant ID is changed in the store', async () => {
        const mailbox = 'notifications@contoso.onmicrosoft.com';
        const server = await peer({
          tls: 'starttls',
          authMethods: ['XOAUTH2'],
          onAuth: entra.smtpAuth(mailbox),
        });
        const ctx = await app({
          tls: { ca: entra.ca },
          microsoft: { authorityHost: entra.authorityHost },
        });
        ctx.installed.add('smtp-oauth');
        await put(ctx, {
          type: 'bearer',
          provider: 'microsoft',
          hostname: server.host,
          port: server.port,
          username: mailbox,
          senderEmail: mailbox,
          clientId: entraApp.clientId,
          clientSecret: entraApp.clientSecret,
          tenantId: entraApp.tenantId,
          useTls: true,
        }).expect(200);

        await tamper(ctx, { tenantId: 'fabrikam.onmicrosoft.com' });

        const state = await http(ctx).get('/smtp-settings').set(AUTH).expect(200);
        expect(state.body.settings.clientSecretSet).toBe(false);
        expect(state.body.warnings).toContainEqual(
          expect.stringContaining('the stored clientSecret cannot be opened'),
        );
        await expect(
          ctx.app.get(MailerService).send({ to: 'a@example.com', text: 'x' }),
        ).rejects.toMatchObject({ code: 'DELIVERY_UNAVAILABLE', reason: 'secret-unavailable' });
        expect(entra.tokenRequests).toBe(0);
        expect(server.connections).toBe(0);
      });
    });
  });

  describe('secrets sealed by 0.1.0', () => {
    /** A record as 0.1.0 left it: the password sealed with the field name as additional data. */
    async function legacyStore(server: SmtpPeer, key: Buffer) {
      const store = new InMemorySmtpSettingsStore();
      const { password, ...settings } = basicFor(server);
      await store.put(
        'default',
        { ...settings, password: sealAsV1(key, password, 'password') } as SealedSmtpSettings,
        { at: new Date().toISOString(), by: 'alice', changed: ['hostname', 'password'] },
      );
      return store;
    }

    it('are resealed at start-up, once, bound to the record as found, and keep working', async () => {
      const server = await peer({ tls: 'starttls' });
      const key = randomBytes(32);
      const store = await legacyStore(server, key);

      const ctx = await app({ store, encryptionKey: key.toString('base64') });

      const record = (await store.get('default'))!;
      expect(record.version).toBe(2);
      expect((record.settings as { password: string }).password).toMatch(/^enc:v2:/);
      const history = await store.history('default');
      expect(history[0]).toMatchObject({
        version: 2,
        by: MIGRATION_ACTOR,
        action: 'update',
        changed: [],
      });
      const state = await http(ctx).get('/smtp-settings').set(AUTH).expect(200);
      expect(state.body).toMatchObject({ version: 2, settings: { passwordSet: true } });
      expect(state.body.warnings).toEqual([]);
      await ctx.app.get(MailerService).send({ to: 'a@example.com', text: 'x' });
      expect((await server.waitForMessages(1))[0]).toMatchObject({ user: 'mailer' });

      // A restart finds nothing left to migrate.
      await app({ store, encryptionKey: key.toString('base64') });
      expect((await store.get('default'))?.version).toBe(2);
    });

    it('are resealed once when several replicas start together', async () => {
      const server = await peer({ tls: 'starttls' });
      const key = randomBytes(32);
      const store = new ReadBarrierStore(2);
      const legacy = (await (await legacyStore(server, key)).get('default'))!;
      await store.seed(legacy);

      const [a, b] = await Promise.all([
        app({ store, encryptionKey: key.toString('base64') }),
        app({ store, encryptionKey: key.toString('base64') }),
      ]);

      const history = await store.history('default');
      expect(history.filter((entry) => entry.by === MIGRATION_ACTOR)).toHaveLength(1);
      expect(store.conflicts).toBe(1);
      expect((await store.get('default'))?.version).toBe(2);
      for (const ctx of [a, b]) {
        const state = await http(ctx).get('/smtp-settings').set(AUTH).expect(200);
        expect(state.body).toMatchObject({ version: 2, settings: { passwordSet: true } });
        await ctx.app.get(MailerService).send({ to: 'a@example.com', text: 'x' });
      }
      expect(await server.waitForMessages(2)).toHaveLength(2);
    });

    it('are used from memory when the store refuses the write, and written at the next start', async () => {
      const server = await peer({ tls: 'starttls' });
      const key = randomBytes(32);
      const store = await legacyStore(server, key);
      const put = jest
        .spyOn(store, 'put')
        .mockRejectedValueOnce(new StoreUnavailableError('the store is read-only'));

      const ctx = await app({ store, encryptionKey: key.toString('base64') });

      expect(put).toHaveBeenCalledTimes(1);
      expect((await store.get('default'))?.version).toBe(1);
      const state = await http(ctx).get('/smtp-settings').set(AUTH).expect(200);
      expect(state.body).toMatchObject({ version: 1, settings: { passwordSet: true } });
      await ctx.app.get(MailerService).send({ to: 'a@example.com', text: 'x' });
      expect((await server.waitForMessages(1))[0]).toMatchObject({ user: 'mailer' });

      await app({ store, encryptionKey: key.toString('base64') });
      expect((await store.history('default'))[0]).toMatchObject({
        version: 2,
        by: MIGRATION_ACTOR,
      });
    });

    it('are left as they are, and reported, when the key cannot open them', async () => {
      const server = await peer({ tls: 'starttls' });
      const store = await legacyStore(server, randomBytes(32));

      const ctx = await app({ store, encryptionKey: randomBytes(32).toString('base64') });

      expect((await store.get('default'))?.version).toBe(1);
      const state = await http(ctx).get('/smtp-settings').set(AUTH).expect(200);
      expect(state.body.settings.passwordSet).toBe(false);
      expect(state.body.warnings).toContainEqual(expect.stringMatching(UNOPENABLE));
      await put(ctx, basicFor(server)).expect(200);
    });
  });

  describe('a lost key file', () => {
    async function tempDir(): Promise<string> {
      const dir = await mkdtemp(join(tmpdir(), 'smtp-secrets-'));
      dirs.push(dir);
      return dir;
    }

    it('stops the start instead of generating a key that cannot open the stored secrets', async () => {
      const server = await peer({ tls: 'starttls' });
      const dir = await tempDir();
      const path = join(dir, 'smtp-settings.json');
      const fileApp = () =>
        createSettingsApp({
          tls: { ca },
          store: new FileSmtpSettingsStore({ path }),
          encryptionKey: undefined,
        });
      const first = await fileApp();
      await put(first, basicFor(server)).expect(200);
      await first.app.close();
      await unlink(join(dir, 'smtp-settings.key'));

      const restart = fileApp();
      await expect(restart).rejects.toThrow(
        `the key file ${join(dir, 'smtp-settings.key')} is missing, but ${join(dir, 'smtp-settings')} holds secrets sealed with it`,
      );
      await expect(restart).rejects.toThrow(
        /restore .+ from a backup, or set the encryptionKey option .+, or delete .+ to start over/,
      );
    });

    it('with the wrong key: GET asks for the password again; PUT with it, DELETE and a full verify work', async () => {
      const server = await peer({ tls: 'starttls' });
      const dir = await tempDir();
      const path = join(dir, 'smtp-settings.json');
      const first = await app({
        store: new FileSmtpSettingsStore({ path }),
        encryptionKey: undefined,
      });
      await put(first, basicFor(server)).expect(200);
      await first.app.close();
      apps.splice(apps.indexOf(first), 1);

      const ctx = await app({
        store: new FileSmtpSettingsStore({ path }),
        encryptionKey: randomBytes(32).toString('base64'),
      });

      const state = await http(ctx).get('/smtp-settings').set(AUTH).expect(200);
      expect(state.body.settings.passwordSet).toBe(false);
      expect(state.body.warnings).toContainEqual(expect.stringMatching(UNOPENABLE));
      const reuse = await put(ctx, withoutSecret(basicFor(server))).expect(400);
      expect(reuse.body.errors).toEqual([
        { field: 'password', message: expect.stringMatching(UNOPENABLE) },
      ]);
      await expectVerifyBlocked(ctx);
      expect(server.connections).toBe(0);

      const full = await verify(ctx, basicFor(server)).expect(200);
      expect(full.body).toMatchObject({ ok: true, stage: 'auth' });
      await http(ctx).delete('/smtp-settings').set(AUTH).expect(204);
      const again = await put(ctx, basicFor(server)).expect(200);
      expect(again.body.settings.passwordSet).toBe(true);
      expect(again.body.warnings).toEqual([]);
      await ctx.app.get(MailerService).send({ to: 'a@example.com', text: 'x' });
      expect((await server.waitForMessages(1))[0]).toMatchObject({ user: 'mailer' });
    });

    it('with another key: a PUT with the password replaces the secret without opening the old one', async () => {
      const server = await peer({ tls: 'starttls' });
      const store = new InMemorySmtpSettingsStore();
      const first = await app({ store });
      await put(first, basicFor(server)).expect(200);

      const ctx = await app({ store });
      await put(ctx, basicFor(server, { senderName: 'Again' })).expect(200);
      const history = await store.history('default');
      expect(history[0]).toMatchObject({ changed: ['password', 'senderName'] });
      await ctx.app.get(MailerService).send({ to: 'a@example.com', text: 'x' });
      expect((await server.waitForMessages(1))[0]).toMatchObject({ user: 'mailer' });
    });
  });
});

/** Holds the first `parties` reads until all of them have read: replicas that start together. */
class ReadBarrierStore extends InMemorySmtpSettingsStore {
  private waiting: Array<() => void> = [];
  conflicts = 0;

  constructor(private parties: number) {
    super();
  }

  async seed(record: SmtpSettingsRecord): Promise<void> {
    await super.put(record.tenant, record.settings!, {
      at: record.updatedAt,
      by: record.updatedBy,
      changed: ['hostname', 'password'],
    });
  }

  override async put(...args: Parameters<InMemorySmtpSettingsStore['put']>) {
    try {
      return await super.put(...args);
    } catch (error) {
      if (error instanceof SettingsVersionConflictError) this.conflicts++;
      throw error;
    }
  }

  override async get(tenant: string): Promise<SmtpSettingsRecord | null> {
    const record = await super.get(tenant);
    if (this.parties > 0) {
      this.parties--;
      await new Promise<void>((resolve) => {
        this.waiting.push(resolve);
        if (this.parties === 0) this.waiting.splice(0).forEach((release) => release());
      });
    }
    return record;
  }
}
