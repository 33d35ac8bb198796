import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import request from 'supertest';
import { InvalidTenantError } from '../../lib/errors/invalid-tenant.error';
import { StoreUnavailableError } from '../../lib/errors/store-unavailable.error';
import { MailerService } from '../../lib/mailer/mailer.service';
import { FileSmtpSettingsStore } from '../../lib/stores/file/file-smtp-settings.store';
import { fileStoreKey } from '../../lib/stores/file/file-store-key';
import { ADMIN_TOKEN } from '../fixtures/admin.guard';
import { sealAsV1 } from '../fixtures/legacy-seal';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';
import { trustedTestCa } from '../fixtures/test-ca';
import { virtualLockClock } from '../fixtures/virtual-lock-clock';
import { changeBy, sealedSettings } from './store-contract';

const WRITER = join(__dirname, '../fixtures/file-store-writer.js');
const PASSWORD = 'file-tenants-P4ss!';
const silent = { log() {}, warn() {}, error() {} };

/** The documented file name: the hex of the tenant id. */
const nameOf = (tenant: string) => `${Buffer.from(tenant).toString('hex')}.json`;

const dirs: string[] = [];
const stores: FileSmtpSettingsStore[] = [];
let dir: string;
let path: string;
let tenants: string;
/** The children's compiled sources, shared so that each starts without the compiler. */
let tsCache: string;

beforeAll(async () => {
  tsCache = await mkdtemp(join(tmpdir(), 'smtp-file-tenants-ts-'));
  dirs.push(tsCache);
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'smtp-file-tenants-'));
  dirs.push(dir);
  path = join(dir, 'smtp-settings.json');
  tenants = join(dir, 'smtp-settings');
});

afterEach(async () => {
  jest.restoreAllMocks();
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

function open(logger: typeof silent = silent): FileSmtpSettingsStore {
  const store = new FileSmtpSettingsStore({ path, logger });
  stores.push(store);
  return store;
}

/** Another process on the same data file: saves `count` times, resolves with its last version. */
async function otherProcess(tenant: string, count: number): Promise<number> {
  const child = spawn(process.execPath, [WRITER, path, tenant, String(count)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TS_REQUIRE_HOOK_CACHE: tsCache },
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines: string[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => lines.push(line));
  const [code] = (await once(child, 'exit')) as [number | null];
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  return Number(/^done (\d+)$/.exec(lines.at(-1) ?? '')?.[1]);
}

/**
 * A data file as 0.1.0 wrote it: every tenant in one document, each with its history, under the
 * keys "scopes" and "scope" that the file format keeps.
 */
function legacyDocument(tenants: Record<string, { version: number; settings: unknown }>): string {
  const entries = Object.entries(tenants).map(([tenant, { version, settings }]) => [
    tenant,
    {
      scope: tenant,
      version,
      updatedAt: '2025-11-02T10:00:00.000Z',
      updatedBy: 'alice',
      settings,
      history: Array.from({ length: version }, (_, i) => ({
        version: version - i,
        at: '2025-11-02T10:00:00.000Z',
        by: 'alice',
        action: 'update',
        changed: ['hostname'],
      })),
    },
  ]);
  return `${JSON.stringify({ format: 1, scopes: Object.fromEntries(entries) }, null, 2)}\n`;
}

describe('FileSmtpSettingsStore: one file per tenant', () => {
  it('keeps each tenant in a file of its own, named by the hex of its id', async () => {
    const store = open();
    await store.put('acme', sealedSettings({ hostname: 'acme.example.com' }), changeBy('a'));
    await store.put('globex', sealedSettings({ hostname: 'globex.example.com' }), changeBy('b'));

    await expect(readdir(dir)).resolves.toEqual(['smtp-settings']);
    expect((await readdir(tenants)).sort()).toEqual([nameOf('acme'), nameOf('globex')].sort());
    const acme = JSON.parse(await readFile(join(tenants, nameOf('acme')), 'utf8'));
    expect(acme).toMatchObject({ format: 2, scope: 'acme', version: 1 });
    expect(JSON.stringify(acme)).not.toContain('globex');
  });

  it('gives safe, distinct names to ids such as CON, con, a.b, A.B and a 64-character id', async () => {
    const ids = ['CON', 'con', 'NUL', 'a.b', 'A.B', 'Acme', 'acme', 'x_y-z', 'a'.repeat(64)];
    const store = open();
    for (const id of ids) {
      await store.put(id, sealedSettings({ hostname: `${id.length}.example.com` }), changeBy(id));
    }

    const names = await readdir(tenants);
    expect(names.sort()).toEqual(ids.map(nameOf).sort());
    for (const name of names) expect(name).toMatch(/^[0-9a-f]+\.json$/);
    // Distinct even on a file system that ignores case (macOS, Windows).
    expect(new Set(names.map((name) => name.toLowerCase())).size).toBe(ids.length);
    expect(Math.max(...names.map((name) => name.length))).toBe(133);
    for (const id of ids) {
      await expect(store.get(id)).resolves.toMatchObject({ tenant: id, updatedBy: id });
    }
  });

  it.each(['..', '../x', 'a/b', '', '.hidden', 'a'.repeat(65), 'a b'])(
    'refuses the id %j before it reaches the file system',
    async (id) => {
      const store = open();
      await expect(store.put(id, sealedSettings(), changeBy('x'))).rejects.toBeInstanceOf(
        InvalidTenantError,
      );
      await expect(store.get(id)).rejects.toBeInstanceOf(InvalidTenantError);
      await expect(store.history(id)).rejects.toBeInstanceOf(InvalidTenantError);
      await expect(readdir(dir)).resolves.toEqual([]);
    },
  );

  it("leaves B's file untouched by a save of A: same inode, mtime and bytes", async () => {
    const store = open();
    await store.put('tenant-b', sealedSettings(), changeBy('b'));
    const file = store.fileOf('tenant-b');
    const before = await stat(file);
    const bytes = await readFile(file);

    for (let i = 0; i < 5; i++) await store.put('tenant-a', sealedSettings(), changeBy('a'));

    const after = await stat(file);
    expect({ ino: after.ino, mtimeMs: after.mtimeMs }).toEqual({
      ino: before.ino,
      mtimeMs: before.mtimeMs,
    });
    expect(await readFile(file)).toEqual(bytes);
  });

  it("saves A at once while B's lock is held by a live writer", async () => {
    const store = open();
    await mkdir(tenants, { recursive: true });
    await writeFile(`${store.fileOf('tenant-b')}.lock`, `${process.pid}\n`);

    const clock = virtualLockClock();
    await store.put('tenant-a', sealedSettings(), changeBy('a'));
    // At once: not a moment spent waiting for a lock, by the lock's own clock.
    expect(clock.waited()).toBe(0);
    await rm(`${store.fileOf('tenant-b')}.lock`);
  });

  it('never parses a tenant file nobody asks for: a corrupt one stops only its own tenant', async () => {
    const store = open();
    await store.put('acme', sealedSettings(), changeBy('a'));
    await writeFile(join(tenants, nameOf('broken')), 'not json');

    await expect(open().get('acme')).resolves.toMatchObject({ version: 1 });
    await expect(open().put('acme', sealedSettings(), changeBy('a'), 1)).resolves.toMatchObject({
      version: 2,
    });
    await expect(open().get('broken')).rejects.toThrow(
      `${join(tenants, nameOf('broken'))} is not a valid settings file`,
    );
  });

  it('keeps history per tenant, each to the historyLimit', async () => {
    const store = new FileSmtpSettingsStore({ path, logger: silent, historyLimit: 3 });
    stores.push(store);
    for (let i = 0; i < 5; i++) await store.put('acme', sealedSettings(), changeBy('a'));
    await store.put('globex', sealedSettings(), changeBy('b'));

    expect((await store.history('acme')).map((entry) => entry.version)).toEqual([5, 4, 3]);
    expect((await store.history('globex')).map((entry) => entry.version)).toEqual([1]);
  });
});

describe('FileSmtpSettingsStore: two instances or processes on one directory', () => {
  it('reports each tenant change to the other instance, naming the tenant, and only that one', async () => {
    const writer = open();
    await writer.put('globex', sealedSettings(), changeBy('b'));
    const watcher = open();
    const heard: Array<[string, number]> = [];
    const third = new Promise<void>((resolve) =>
      watcher.watch((tenant, version) => {
        heard.push([tenant, version]);
        if (tenant === 'acme' && version === 3) resolve();
      }),
    );

    for (let i = 0; i < 3; i++) await writer.put('acme', sealedSettings(), changeBy('a'));
    await third;
    expect(heard.filter(([tenant]) => tenant !== 'acme')).toEqual([]);
  });

  it('hears the changes another process makes, tenant by tenant', async () => {
    const watcher = open();
    const heard: Array<[string, number]> = [];
    const done = new Promise<void>((resolve) =>
      watcher.watch((tenant, version) => {
        heard.push([tenant, version]);
        if (tenant === 'acme' && version === 2) resolve();
      }),
    );

    await expect(otherProcess('acme', 2)).resolves.toBe(2);
    await done;
    expect(new Set(heard.map(([tenant]) => tenant))).toEqual(new Set(['acme']));
    await expect(watcher.get('acme')).resolves.toMatchObject({ version: 2 });
  });

  it('loses no change when two processes save the same tenant while a third saves another', async () => {
    const store = open();
    const [a, b] = await Promise.all([
      otherProcess('acme', 10),
      otherProcess('acme', 10),
      (async () => {
        for (let i = 0; i < 10; i++) await store.put('globex', sealedSettings(), changeBy('g'));
      })(),
    ]);

    expect(Math.max(a, b)).toBe(20);
    const history = await store.history('acme');
    expect(history.map((entry) => entry.version)).toEqual(
      Array.from({ length: 20 }, (_, i) => 20 - i),
    );
    await expect(store.get('globex')).resolves.toMatchObject({ version: 10 });
    expect((await readdir(tenants)).sort()).toEqual([nameOf('acme'), nameOf('globex')].sort());
  });
});

describe('FileSmtpSettingsStore: the data file of 0.1.0', () => {
  const legacy = () =>
    legacyDocument({
      default: { version: 3, settings: sealedSettings({ hostname: 'default.example.com' }) },
      acme: { version: 1, settings: null },
    });

  it('is split into tenant files at first use, and kept byte for byte as .migrated', async () => {
    const original = legacy();
    await writeFile(path, original, { mode: 0o600 });

    const store = open();
    await expect(store.get('default')).resolves.toMatchObject({
      tenant: 'default',
      version: 3,
      updatedBy: 'alice',
      settings: { hostname: 'default.example.com' },
    });
    await expect(store.history('default')).resolves.toHaveLength(3);
    await expect(store.get('acme')).resolves.toMatchObject({ version: 1, settings: null });

    await expect(readFile(`${path}.migrated`, 'utf8')).resolves.toBe(original);
    expect((await readdir(dir)).sort()).toEqual(['smtp-settings', 'smtp-settings.json.migrated']);
    expect((await readdir(tenants)).sort()).toEqual([nameOf('acme'), nameOf('default')].sort());
    expect((await stat(store.fileOf('default'))).mode & 0o777).toBe(0o600);

    // The next change goes to the tenant file only.
    await store.put('default', sealedSettings(), changeBy('bob'), 3);
    await expect(open().get('default')).resolves.toMatchObject({ version: 4, updatedBy: 'bob' });
    await expect(readFile(`${path}.migrated`, 'utf8')).resolves.toBe(original);
  });

  it('is migrated once when several processes and instances start together', async () => {
    await writeFile(path, legacy(), { mode: 0o600 });

    const versions = await Promise.all([
      otherProcess('default', 0),
      otherProcess('default', 0),
      otherProcess('default', 0),
      open()
        .get('default')
        .then((record) => record?.version),
      open()
        .get('default')
        .then((record) => record?.version),
    ]);

    expect(versions).toEqual([3, 3, 3, 3, 3]);
    expect((await readdir(dir)).sort()).toEqual(['smtp-settings', 'smtp-settings.json.migrated']);
    expect((await readdir(tenants)).sort()).toEqual([nameOf('acme'), nameOf('default')].sort());
  });

  it('finishes a migration that a crash cut short, keeping the tenant files already written and the older backup', async () => {
    const original = legacy();
    await writeFile(path, original, { mode: 0o600 });
    await writeFile(`${path}.migrated`, 'an earlier backup');
    const first = open();
    // What the interrupted migration wrote (and a change made since, by the look of it).
    await mkdir(tenants, { recursive: true });
    await writeFile(
      first.fileOf('acme'),
      JSON.stringify({
        format: 2,
        scope: 'acme',
        version: 2,
        updatedAt: '2025-11-03T10:00:00.000Z',
        updatedBy: 'carol',
        settings: null,
        history: [],
      }),
    );

    await expect(first.get('acme')).resolves.toMatchObject({ version: 2, updatedBy: 'carol' });
    await expect(first.get('default')).resolves.toMatchObject({ version: 3 });
    await expect(readFile(`${path}.migrated`, 'utf8')).resolves.toBe('an earlier backup');
    await expect(readFile(`${path}.migrated.2`, 'utf8')).resolves.toBe(original);
  });

  const unreadable: Array<[string, string]> = [
    ['garbage', 'this is not json'],
    ['truncated JSON', legacyDocument({ default: { version: 1, settings: null } }).slice(0, 60)],
    ['scopes that are not an object', JSON.stringify({ format: 1, scopes: [] })],
    [
      'a record of the wrong shape',
      JSON.stringify({ format: 1, scopes: { default: { version: '1' } } }),
    ],
  ];

  it.each(unreadable)(
    'refuses %s, naming the file, leaving it byte-identical and writing no tenant file',
    async (_, content) => {
      await writeFile(path, content);
      const store = open();

      for (const attempt of [
        store.get('default'),
        store.put('default', sealedSettings(), changeBy('alice')),
      ]) {
        await expect(attempt).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(attempt).rejects.toThrow(`${path} is not a valid settings file (`);
        await expect(attempt).rejects.toThrow('it was left untouched');
      }
      await expect(readFile(path, 'utf8')).resolves.toBe(content);
      await expect(readdir(dir)).resolves.toEqual(['smtp-settings.json']);
    },
  );

  it('refuses a tenant that is no valid tenant id, naming it, and migrates nothing', async () => {
    const content = legacyDocument({
      default: { version: 1, settings: null },
      'my app': { version: 1, settings: null },
    });
    await writeFile(path, content);

    const attempt = open().get('default');
    await expect(attempt).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(attempt).rejects.toThrow(
      `${path} cannot be migrated to one file per tenant: the tenant may hold only letters, digits`,
    );
    await expect(readdir(dir)).resolves.toEqual(['smtp-settings.json']);
  });

  it('still stops a new key from being generated when its secrets lost their key file', async () => {
    await writeFile(path, legacy(), { mode: 0o600 });

    const attempt = fileStoreKey(open(), silent);
    await expect(attempt).rejects.toThrow(
      `the key file ${join(dir, 'smtp-settings.key')} is missing, but ${tenants} holds secrets sealed with it (first found in ${join(tenants, nameOf('default'))})`,
    );
    expect(await readdir(dir)).not.toContain('smtp-settings.key');
  });
});

describe('SmtpSettingsModule on a 0.1.0 installation (data file and key file)', () => {
  let peer: SmtpPeer;
  const apps: SettingsApp[] = [];

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.app.close()));
    await peer?.close();
  });

  it('starts on the migrated tenant file, opens the 0.1.0 secret, sends, and migrates once', async () => {
    peer = await startSmtpPeer({ tls: 'starttls', users: { mailer: PASSWORD } });
    const key = randomBytes(32);
    await writeFile(join(dir, 'smtp-settings.key'), `${key.toString('base64')}\n`, { mode: 0o600 });
    const original = legacyDocument({
      default: {
        version: 2,
        settings: {
          type: 'basic',
          hostname: peer.host,
          port: peer.port,
          username: 'mailer',
          senderEmail: 'noreply@example.com',
          useTls: true,
          password: sealAsV1(key, PASSWORD, 'password'),
        },
      },
    });
    await writeFile(path, original, { mode: 0o600 });
    const ca = (await trustedTestCa()).ca;
    const start = async () => {
      const started = await createSettingsApp({
        store: undefined,
        dataFile: path,
        encryptionKey: undefined,
        tls: { ca },
      });
      apps.push(started);
      return started;
    };

    const { app } = await start();
    const state = await request(app.getHttpServer())
      .get('/smtp-settings')
      .set({ Authorization: `Bearer ${ADMIN_TOKEN}` })
      .expect(200);
    expect(state.body.version).toBeGreaterThanOrEqual(2);
    expect(state.body.settings).toMatchObject({ hostname: peer.host, passwordSet: true });
    expect(state.body.warnings).toEqual([]);
    await app.get(MailerService).send({ to: 'a@example.com', text: 'after the upgrade' });
    expect((await peer.waitForMessages(1))[0]).toMatchObject({ user: 'mailer' });

    await expect(readFile(`${path}.migrated`, 'utf8')).resolves.toBe(original);
    await expect(readdir(tenants)).resolves.toEqual([nameOf('default')]);
    const tenantFile = await readFile(join(tenants, nameOf('default')), 'utf8');
    expect(tenantFile).not.toContain(PASSWORD);

    // A restart finds nothing left to migrate.
    await start();
    expect((await readdir(dir)).sort()).toEqual([
      'smtp-settings',
      'smtp-settings.json.migrated',
      'smtp-settings.key',
    ]);
  });
});
