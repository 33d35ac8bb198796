import type { INestApplication } from '@nestjs/common';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { filter, firstValueFrom } from 'rxjs';
import request from 'supertest';
import type { App } from 'supertest/types';
import { FileSmtpSettingsStore, InMemorySmtpSettingsStore } from '../../lib';
import { backupTenantOf } from '../../lib/settings/backup-tenant';
import { BackupSettings } from '../../lib/settings/backup-settings';
import { ADMIN_TOKEN } from '../fixtures/admin.guard';
import { basicSettingsFor } from '../fixtures/peer-settings';
import { createSettingsApp, HTTP_ADAPTERS, type SettingsApp } from '../fixtures/settings-app';
import { BASIC, BEARER } from '../fixtures/settings-bodies';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';
import { CapturingLogger, createTenantApp } from '../fixtures/tenant-app';

const AUTH = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const BACKUP_PASSWORD = 'backup-secret-Qz81!';
const BACKUP = { ...BASIC, hostname: 'backup.example.com', password: BACKUP_PASSWORD };

function expectNoSecret(res: { text: string }): void {
  for (const secret of [BACKUP_PASSWORD, BASIC.password, BEARER.clientSecret]) {
    expect(res.text).not.toContain(secret);
  }
}

describe.each(HTTP_ADAPTERS)('The backup connection routes on %s', (adapter) => {
  let ctx: SettingsApp;
  let http: App;

  beforeEach(async () => {
    ctx = await createSettingsApp({}, undefined, adapter);
    http = ctx.app.getHttpServer();
  });
  afterEach(() => ctx.app.close());

  const putBackup = (body: object, headers: Record<string, string> = {}) =>
    request(http).put('/smtp-settings/backup').set(AUTH).set(headers).send(body);
  const getBackup = () => request(http).get('/smtp-settings/backup').set(AUTH).expect(200);

  it('saves, shows without its secret, versions on its own and deletes the backup', async () => {
    const empty = await getBackup();
    expect(empty.body).toEqual({
      tenant: 'default',
      version: 0,
      updatedAt: null,
      updatedBy: null,
      settings: null,
      warnings: [],
    });
    expect(empty.headers.etag).toBe('"0"');
    expect((await request(http).get('/smtp-settings').set(AUTH).expect(200)).body.backup).toBe(
      null,
    );

    await request(http).put('/smtp-settings').set(AUTH).send(BASIC).expect(200);
    const saved = await putBackup(BACKUP, { 'If-Match': '"0"' }).expect(200);
    expectNoSecret(saved);
    expect(saved.headers.etag).toBe('"1"');
    expect(saved.body).toMatchObject({
      tenant: 'default',
      version: 1,
      updatedBy: 'alice',
      settings: { hostname: 'backup.example.com', passwordSet: true },
    });
    expect(saved.body.settings).not.toHaveProperty('password');

    const main = await request(http).get('/smtp-settings').set(AUTH).expect(200);
    expectNoSecret(main);
    // The main settings keep their own version; GET shows the backup beside them.
    expect(main.body.version).toBe(1);
    expect(main.headers.etag).toBe('"1"');
    expect(main.body.settings.hostname).toBe('mail.example.com');
    expect(main.body.backup).toEqual({
      version: 1,
      updatedAt: expect.any(String),
      updatedBy: 'alice',
      settings: expect.objectContaining({ hostname: 'backup.example.com', passwordSet: true }),
      warnings: [],
    });

    await request(http)
      .delete('/smtp-settings/backup')
      .set(AUTH)
      .set('If-Match', '"1"')
      .expect(204)
      .expect('ETag', '"2"');
    const after = await getBackup();
    expect(after.body).toMatchObject({ version: 2, settings: null });
    expect((await request(http).get('/smtp-settings').set(AUTH).expect(200)).body).toMatchObject({
      version: 1,
      backup: null,
    });
  });

  it("refuses a stale If-Match with 412, the backup's version and not the main one's", async () => {
    await putBackup(BACKUP).expect(200);
    await request(http).put('/smtp-settings').set(AUTH).send(BASIC).expect(200);
    await request(http).put('/smtp-settings').set(AUTH).send(BASIC).expect(200);
    // The main settings are at 2: that is not the backup's version.
    const stale = await putBackup(BACKUP, { 'If-Match': '"2"' }).expect(412);
    expect(stale.body.code).toBe('VERSION_CONFLICT');
    await request(http)
      .delete('/smtp-settings/backup')
      .set(AUTH)
      .set('If-Match', '"0"')
      .expect(412);
    await putBackup({ ...BACKUP, senderName: 'Backup' }, { 'If-Match': '"1"' }).expect(200);
    expect((await getBackup()).body).toMatchObject({
      version: 2,
      settings: { senderName: 'Backup' },
    });
  });

  it('validates as the main settings do, naming every field, and saves nothing', async () => {
    const res = await putBackup({ ...BACKUP, port: 587, useTls: false, extra: 1 }).expect(400);
    expectNoSecret(res);
    const fields = res.body.errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['useTls', 'extra']));
    expect((await getBackup()).body.version).toBe(0);
  });

  it('keeps the stored secret only while the destination is unchanged', async () => {
    await putBackup(BACKUP).expect(200);
    const { password: _password, ...withoutSecret } = BACKUP;
    await putBackup({ ...withoutSecret, senderName: 'Kept' }).expect(200);
    const moved = await putBackup({ ...withoutSecret, hostname: 'other.example.com' }).expect(400);
    expect(moved.body.errors).toEqual([
      expect.objectContaining({ field: 'password', message: expect.stringContaining('hostname') }),
    ]);
    // The main settings' secret is never reused for the backup.
    await request(http).put('/smtp-settings').set(AUTH).send(BACKUP).expect(200);
    await request(http).delete('/smtp-settings/backup').set(AUTH).expect(204);
    await putBackup(withoutSecret).expect(400);
  });

  it('gates Bearer behind the smtp-oauth upgrade', async () => {
    const refused = await putBackup(BEARER).expect(403);
    expect(refused.body.code).toBe('UPGRADE_REQUIRED');
    expectNoSecret(refused);
    ctx.installed.add('smtp-oauth');
    const saved = await putBackup(BEARER).expect(200);
    expectNoSecret(saved);
    expect(saved.body.settings).toMatchObject({ provider: 'microsoft', clientSecretSet: true });
  });

  it('records its changes in the history as connection "backup", beside the main ones', async () => {
    await request(http).put('/smtp-settings').set(AUTH).send(BASIC).expect(200);
    await putBackup(BACKUP).expect(200);
    await request(http).delete('/smtp-settings/backup').set(AUTH).expect(204);
    const history = (await request(http).get('/smtp-settings/history').set(AUTH).expect(200)).body;
    expect(history).toEqual([
      expect.objectContaining({ version: 2, action: 'reset', connection: 'backup' }),
      expect.objectContaining({ version: 1, action: 'update', connection: 'backup' }),
      expect.objectContaining({ version: 1, action: 'update', changed: expect.any(Array) }),
    ]);
    expect(history[2]).not.toHaveProperty('connection');
    expect(history[1].changed).toEqual(expect.arrayContaining(['hostname', 'password']));
    expect(JSON.stringify(history)).not.toContain('backup.example.com');
  });
});

describe('Verify and test email of the backup connection (?connection=backup)', () => {
  let main: SmtpPeer;
  let backup: SmtpPeer;
  let ctx: SettingsApp;
  let http: App;

  beforeAll(async () => {
    [main, backup] = await Promise.all([
      startSmtpPeer({ users: { mailer: 'main-right-7d2f' } }),
      startSmtpPeer({ users: { mailer: BACKUP_PASSWORD } }),
    ]);
    ctx = await createSettingsApp();
    http = ctx.app.getHttpServer();
  });
  afterAll(async () => {
    await ctx.app.close();
    await Promise.all([main.close(), backup.close()]);
  });

  it('answers ok: false when no backup is saved, and refuses an unknown connection naming it', async () => {
    const none = await request(http)
      .post('/smtp-settings/verify?connection=backup')
      .set(AUTH)
      .expect(200);
    expect(none.body).toMatchObject({ ok: false, code: 'NO_SMTP_ROUTE' });
    expect(none.body.message).toContain('backup');
    for (const route of ['verify', 'test-email']) {
      const res = await request(http)
        .post(`/smtp-settings/${route}?connection=spare`)
        .set(AUTH)
        .send({ to: 'admin@example.com' })
        .expect(400);
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'connection' })]);
    }
  });

  it('checks and sends through the backup, not the main server', async () => {
    await request(http)
      .put('/smtp-settings')
      .set(AUTH)
      .send(basicSettingsFor(main, 'main-right-7d2f'))
      .expect(200);
    await request(http)
      .put('/smtp-settings/backup')
      .set(AUTH)
      .send(basicSettingsFor(backup, BACKUP_PASSWORD, { senderEmail: 'backup@example.com' }))
      .expect(200);
    const mainConnections = main.connections;

    const verified = await request(http)
      .post('/smtp-settings/verify?connection=backup')
      .set(AUTH)
      .expect(200);
    expect(verified.body).toMatchObject({ ok: true, route: 'custom' });
    expect(verified.body.message).toContain(`${backup.host}:${backup.port}`);

    const sent = await request(http)
      .post('/smtp-settings/test-email?connection=backup')
      .set(AUTH)
      .send({ to: 'admin@example.com' })
      .expect(200);
    expect(sent.body.ok).toBe(true);
    const [message] = await backup.waitForMessages(1);
    expect(message!.envelope.from).toBe('backup@example.com');
    expect(main.connections).toBe(mainConnections);

    // An unsaved body is checked against the saved backup: its password is reused there.
    const { password: _password, ...unsaved } = basicSettingsFor(backup, BACKUP_PASSWORD);
    const reused = await request(http)
      .post('/smtp-settings/verify?connection=backup')
      .set(AUTH)
      .send(unsaved)
      .expect(200);
    expect(reused.body.ok).toBe(true);
    expectNoSecret(reused);
  });
});

describe('The guards and the admin-actions budget on the backup routes', () => {
  let ctx: SettingsApp;
  afterEach(() => ctx.app.close());

  it("answers 401 without the app's guard passing, and spends one budget with the main routes", async () => {
    ctx = await createSettingsApp({ adminActionsRateLimit: { limit: 2, windowMs: 60_000 } });
    const http = ctx.app.getHttpServer();
    for (const call of [
      request(http).get('/smtp-settings/backup'),
      request(http).put('/smtp-settings/backup').send(BACKUP),
      request(http).delete('/smtp-settings/backup'),
    ]) {
      await call.expect(401);
    }
    await request(http).post('/smtp-settings/verify?connection=backup').set(AUTH).expect(200);
    await request(http).post('/smtp-settings/verify').set(AUTH).expect(200);
    const limited = await request(http)
      .put('/smtp-settings/backup?verify=true')
      .set(AUTH)
      .send(BACKUP)
      .expect(429);
    expect(limited.body.code).toBe('RATE_LIMITED');
    expect(limited.headers['retry-after']).toBeDefined();
    // A PUT without verify does not reach out, and spends nothing.
    await request(http).put('/smtp-settings/backup').set(AUTH).send(BACKUP).expect(200);
  });
});

describe('The backup connection of each tenant', () => {
  let dir: string;
  let apps: INestApplication[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'smtp-backup-'));
  });
  afterEach(async () => {
    await Promise.all(apps.map((app) => app.close()));
    apps = [];
    await rm(dir, { recursive: true, force: true });
  });

  const as = (app: INestApplication, token: string) => ({
    get: (path: string) =>
      request(app.getHttpServer()).get(path).set('Authorization', `Bearer ${token}`),
    put: (path: string, body: object) =>
      request(app.getHttpServer()).put(path).set('Authorization', `Bearer ${token}`).send(body),
  });

  it('is its own: one tenant never sees or changes another tenant’s backup', async () => {
    const app = await createTenantApp(new InMemorySmtpSettingsStore(), new CapturingLogger(), {
      encryptionKey: randomBytes(32).toString('base64'),
    });
    apps.push(app);
    const acme = as(app, 'token-acme');
    const globex = as(app, 'token-globex');
    await acme.put('/smtp-settings/backup', BACKUP).expect(200);
    expect((await globex.get('/smtp-settings/backup').expect(200)).body).toMatchObject({
      tenant: 'globex',
      version: 0,
      settings: null,
    });
    expect((await globex.get('/smtp-settings').expect(200)).body.backup).toBe(null);
    // globex cannot reuse acme's stored password: it has none of its own.
    const { password: _password, ...withoutSecret } = BACKUP;
    await globex.put('/smtp-settings/backup', withoutSecret).expect(400);
    expect((await acme.get('/smtp-settings/history').expect(200)).body).toHaveLength(1);
    expect((await globex.get('/smtp-settings/history').expect(200)).body).toEqual([]);
  });

  it('lives in the file store unchanged, sealed, and reaches another replica through watch', async () => {
    const encryptionKey = randomBytes(32).toString('base64');
    const dataFile = join(dir, 'smtp-settings.json');
    const replicas = await Promise.all(
      [0, 1].map(() =>
        createTenantApp(new FileSmtpSettingsStore({ path: dataFile }), new CapturingLogger(), {
          encryptionKey,
        }),
      ),
    );
    apps.push(...replicas);
    const [first, second] = replicas.map((app) => as(app, 'token-acme'));
    // The second replica reads acme's backup once, so that it holds it in memory.
    expect((await second!.get('/smtp-settings/backup').expect(200)).body.version).toBe(0);
    const heard = firstValueFrom(
      replicas[1]!
        .get(BackupSettings)
        .changes$.pipe(filter((event) => event.tenant === 'acme' && event.origin === 'store')),
    );
    await first!.put('/smtp-settings/backup', BACKUP).expect(200);

    const files = await readdir(join(dir, 'smtp-settings'));
    const backupFile = `${Buffer.from(backupTenantOf('acme')).toString('hex')}.json`;
    expect(files).toContain(backupFile);
    const stored = await readFile(join(dir, 'smtp-settings', backupFile), 'utf8');
    expect(stored).toContain('backup.example.com');
    expect(stored).not.toContain(BACKUP_PASSWORD);

    await heard;
    const body = (await second!.get('/smtp-settings/backup').expect(200)).body;
    expect(body).toMatchObject({ version: 1, settings: { passwordSet: true } });
  });

  it("refuses a backup connection's store tenant as a tenant id", async () => {
    const app = await createTenantApp(new InMemorySmtpSettingsStore(), new CapturingLogger(), {
      encryptionKey: randomBytes(32).toString('base64'),
      tenant: () => backupTenantOf('acme'),
    });
    apps.push(app);
    const res = await as(app, 'token-acme').get('/smtp-settings/backup');
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('TENANT_REQUIRED');
  });
});
