import type { LoggerService } from '@nestjs/common';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { keyFilePath } from '../../lib/crypto/key-file';
import { StoreUnavailableError } from '../../lib/errors/store-unavailable.error';
import { SettingsVersionConflictError } from '../../lib/errors/settings-version-conflict.error';
import type { SealedSmtpSettings } from '../../lib/interfaces/smtp-settings.types';
import { FileSmtpSettingsStore } from '../../lib/stores/file/file-smtp-settings.store';
import { fileStoreKey } from '../../lib/stores/file/file-store-key';
import { virtualLockClock } from '../fixtures/virtual-lock-clock';
import {
  bearerSettings,
  changeBy,
  describeStoreContract,
  sealedKey,
  sealedSettings,
} from './store-contract';

const CRASH_WRITER = join(__dirname, '../fixtures/crash-writer.js');
const KILL_HOOK = join(__dirname, '../fixtures/kill-after-fs-change.js');
/** Must match test/fixtures/crash-writer.js. */
const SENDER_NAME_LENGTH = 256 * 1024;
/** Two saves (a first, then one replacing the file) take 19 steps; the bound only ends a runaway. */
const MAX_KILL_STEPS = 40;
/** One kill step: a writer's start (the first compiles the library) and a save, on a loaded machine. */
const KILL_STEP_BUDGET_MS = 5_000;
/** The file lock's longest sleep between two tries (100 ms, plus up to half of it at random). */
const LONGEST_LOCK_RETRY_MS = 150;
/** How long a writer waits for a lock before it gives up (LOCK_TIMEOUT_MS in file-lock.ts). */
const LOCK_TIMEOUT_MS = 5_000;
/** The age after which an empty lock counts as abandoned (EMPTY_LOCK_MS in file-lock.ts). */
const EMPTY_LOCK_MS = 1_000;

/** What the crash writer saves, so that every record can be checked against its version. */
function writerSettings(version: number): SealedSmtpSettings {
  return {
    ...sealedSettings({ hostname: `v${version}.example.com` }),
    senderName: `v${version}:`.padEnd(SENDER_NAME_LENGTH, 'x'),
  };
}

class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  private readonly waiting: Array<(line: string) => void> = [];

  log(message: unknown): void {
    this.add(`log: ${String(message)}`);
  }
  warn(message: unknown): void {
    this.add(`warn: ${String(message)}`);
  }
  error(message: unknown): void {
    this.add(`error: ${String(message)}`);
  }

  /** The next line logged from now on. */
  next(): Promise<string> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private add(line: string): void {
    this.lines.push(line);
    this.waiting.splice(0).forEach((resolve) => resolve(line));
  }
}

const tempDirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'smtp-file-store-'));
  tempDirs.push(dir);
  return dir;
}

afterAll(async () => {
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** The pid of a process that has exited: a lock holding it belongs to a dead writer. */
async function exitedPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  return child.pid ?? 0;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

async function modeOf(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

describeStoreContract('FileSmtpSettingsStore', async () => {
  const store = new FileSmtpSettingsStore({ path: join(await tempDir(), 'smtp-settings.json') });
  return { store, cleanup: () => store.close() };
});

describe('FileSmtpSettingsStore', () => {
  let dir: string;
  let path: string;
  /** The tenant files' directory, named after the data file. */
  let tenants: string;
  /** The default tenant's file: the hex of 'default'. */
  let file: string;
  let logger: CapturingLogger;
  const stores: FileSmtpSettingsStore[] = [];
  const open = (options: { historyLimit?: number } = {}) => {
    const store = new FileSmtpSettingsStore({ path, logger, ...options });
    stores.push(store);
    return store;
  };

  beforeEach(async () => {
    dir = await tempDir();
    path = join(dir, 'smtp-settings.json');
    tenants = join(dir, 'smtp-settings');
    file = join(tenants, '64656661756c74.json');
    logger = new CapturingLogger();
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await Promise.all(stores.splice(0).map((store) => store.close()));
  });

  describe('tenant file', () => {
    it('writes the documented JSON format, with the history beside the record', async () => {
      const settings = sealedSettings();
      const change = changeBy('alice', ['hostname']);
      const store = open();
      await store.put('default', settings, change);

      expect(store.fileOf('default')).toBe(file);
      // The file keeps the key "scope" for the tenant, as every release wrote it.
      expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({
        format: 2,
        scope: 'default',
        version: 1,
        updatedAt: change.at,
        updatedBy: 'alice',
        settings,
        history: [
          { version: 1, at: change.at, by: 'alice', action: 'update', changed: ['hostname'] },
        ],
      });
    });

    it('loads a tenant file that an earlier release wrote, and keeps its keys when it writes', async () => {
      // Byte for byte what the releases before the store's "scope" became "tenant" wrote.
      const settings = sealedSettings();
      const earlier = {
        format: 2,
        scope: 'default',
        version: 2,
        updatedAt: '2025-11-02T10:00:00.000Z',
        updatedBy: 'alice',
        settings,
        history: [
          { version: 2, at: '2025-11-02T10:00:00.000Z', by: 'alice', action: 'reset', changed: [] },
          {
            version: 1,
            at: '2025-11-01T10:00:00.000Z',
            by: 'alice',
            action: 'update',
            changed: [],
          },
        ],
      };
      await mkdir(tenants, { recursive: true });
      await writeFile(file, `${JSON.stringify(earlier, null, 2)}\n`, { mode: 0o600 });
      const store = open();

      await expect(store.get('default')).resolves.toEqual({
        tenant: 'default',
        version: 2,
        updatedAt: earlier.updatedAt,
        updatedBy: 'alice',
        settings,
      });
      await expect(store.history('default')).resolves.toEqual(earlier.history);
      const change = changeBy('bob', ['hostname']);
      await store.put('default', settings, change, 2);
      expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({
        ...earlier,
        version: 3,
        updatedAt: change.at,
        updatedBy: 'bob',
        history: [
          { version: 3, at: change.at, by: 'bob', action: 'update', changed: ['hostname'] },
          ...earlier.history,
        ],
      });
    });

    it('creates the tenant file with mode 0600 and missing directories with mode 0700', async () => {
      path = join(dir, 'nested', 'data', 'smtp-settings.json');
      const store = open();
      await store.put('default', sealedSettings(), changeBy('alice'));

      expect(await modeOf(store.fileOf('default'))).toBe(0o600);
      expect(await modeOf(join(dir, 'nested', 'data'))).toBe(0o700);
      expect(await modeOf(join(dir, 'nested', 'data', 'smtp-settings'))).toBe(0o700);
    });

    it('treats a missing file as empty, and does not create it by reading', async () => {
      const store = open();
      await expect(store.get('default')).resolves.toBeNull();
      await expect(store.history('default')).resolves.toEqual([]);
      await expect(readdir(dir)).resolves.toEqual([]);
    });

    it('leaves only the tenant file behind: no lock, no temp file', async () => {
      const store = open();
      await store.put('default', sealedSettings(), changeBy('alice'));
      await store.delete('default', changeBy('alice'));
      await expect(readdir(dir)).resolves.toEqual(['smtp-settings']);
      await expect(readdir(tenants)).resolves.toEqual(['64656661756c74.json']);
    });

    it('keeps only the newest historyLimit entries', async () => {
      const store = open({ historyLimit: 3 });
      for (let i = 0; i < 5; i++) await store.put('default', sealedSettings(), changeBy('alice'));

      const history = await store.history('default');
      expect(history.map((entry) => entry.version)).toEqual([5, 4, 3]);
    });
  });

  describe('a tenant file it cannot read', () => {
    const valid = async (tenant: string) => {
      const source = new FileSmtpSettingsStore({ path: join(await tempDir(), 'x.json') });
      await source.put(tenant, sealedSettings(), changeBy('alice'));
      return readFile(source.fileOf(tenant), 'utf8');
    };
    const cases: Array<[string, () => Promise<string>]> = [
      ['garbage', async () => 'this is not json \u0000\u00ff'],
      ['an empty file', async () => ''],
      [
        'truncated JSON',
        async () => {
          const full = await valid('default');
          return full.slice(0, Math.floor(full.length / 2));
        },
      ],
      ['another format', async () => JSON.stringify({ format: 1, scopes: {} })],
      [
        'a record of the wrong shape',
        async () => JSON.stringify({ format: 2, scope: 'default', version: '1' }),
      ],
      ['the file of another tenant', () => valid('other')],
    ];

    it.each(cases)(
      'refuses %s on every operation of its tenant, naming the file and leaving it byte-identical',
      async (_, content) => {
        const original = Buffer.from(await content());
        await mkdir(tenants, { recursive: true });
        await writeFile(file, original);
        const store = open();

        const attempts = [
          store.get('default'),
          store.history('default'),
          store.put('default', sealedSettings(), changeBy('alice')),
          store.put('default', sealedSettings(), changeBy('alice'), 0),
          store.delete('default', changeBy('alice')),
        ];
        for (const attempt of attempts) {
          await expect(attempt).rejects.toBeInstanceOf(StoreUnavailableError);
          await expect(attempt).rejects.toThrow(`${file} is not a valid settings file (`);
          await expect(attempt).rejects.toThrow(
            'it was left untouched: restore it from a backup or move it away',
          );
        }

        expect(await readFile(file)).toEqual(original);
        await expect(readdir(tenants)).resolves.toEqual(['64656661756c74.json']);
        // Other tenants carry on.
        await expect(store.put('other', sealedSettings(), changeBy('bob'))).resolves.toMatchObject({
          version: 1,
        });
      },
    );
  });

  describe('encryption key file', () => {
    const keyPath = () => join(dir, 'smtp-settings.key');
    /** What the module uses when no encryptionKey is given. */
    const keyOf = (store: FileSmtpSettingsStore) => fileStoreKey(store, logger);

    it('creates a 32-byte base64 key beside the data file with mode 0600, and logs where', async () => {
      const store = open();
      const key = await keyOf(store);

      expect(keyFilePath(store.path)).toBe(keyPath());
      expect(key).toHaveLength(32);
      expect(Buffer.from(await readFile(keyPath(), 'utf8'), 'base64')).toEqual(key);
      expect(await modeOf(keyPath())).toBe(0o600);
      expect(logger.lines).toEqual([
        `log: Generated an encryption key at ${keyPath()} (mode 0600). Back it up: without it the stored secrets cannot be opened.`,
      ]);
    });

    it('reuses the key file in a second instance, without logging again', async () => {
      const key = await keyOf(open());
      const again = await keyOf(open());

      expect(again).toEqual(key);
      expect(logger.lines.filter((line) => line.includes('Generated'))).toHaveLength(1);
    });

    it('agrees on one key when several instances create it at the same moment', async () => {
      const keys = await Promise.all([1, 2, 3, 4].map(() => keyOf(open())));

      for (const key of keys) expect(key).toEqual(keys[0]);
      expect(logger.lines).toHaveLength(1);
      await expect(readdir(dir)).resolves.toEqual(['smtp-settings.key']);
    });

    it('never logs the key, in any encoding', async () => {
      const key = await keyOf(open());
      const output = logger.lines.join('\n');

      for (const encoding of ['base64', 'base64url', 'hex'] as const) {
        expect(output).not.toContain(key.toString(encoding));
      }
    });

    it('rejects a key file of the wrong length, naming it and leaving it untouched', async () => {
      await writeFile(keyPath(), Buffer.from('too short').toString('base64'), { mode: 0o600 });
      const before = await readFile(keyPath());

      const attempt = keyOf(open());
      await expect(attempt).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(attempt).rejects.toThrow(
        `the key file ${keyPath()} must be 32 bytes encoded in base64 (got 9 bytes)`,
      );
      expect(await readFile(keyPath())).toEqual(before);
    });

    it('refuses to generate a key when a tenant file holds sealed secrets, naming the key, the directory and the file', async () => {
      const store = open();
      await store.put('acme', sealedSettings(), changeBy('alice'));
      await store.delete('acme', changeBy('alice', ['type']));
      await store.put('globex', sealedSettings(), changeBy('bob'));
      const data = await readFile(store.fileOf('globex'));

      const attempt = keyOf(open());
      await expect(attempt).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(attempt).rejects.toThrow(
        `the key file ${keyPath()} is missing, but ${tenants} holds secrets sealed with it (first found in ${store.fileOf('globex')}), so no new key was generated: ` +
          `restore ${keyPath()} from a backup, or set the encryptionKey option to the key they were sealed with, ` +
          `or delete ${tenants} to start over (the SMTP settings must then be entered again)`,
      );
      await expect(readdir(dir)).resolves.toEqual(['smtp-settings']);
      expect(await readFile(store.fileOf('globex'))).toEqual(data);
    });

    it('refuses to generate a key when the only sealed secret is a certificate key', async () => {
      const store = open();
      const { clientSecret: _secret, ...bearer } = bearerSettings() as Record<string, unknown>;
      const certificate = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
      await store.put(
        'acme',
        { ...bearer, clientCertificate: { certificate, privateKey: sealedKey() } } as never,
        changeBy('alice'),
      );

      const attempt = keyOf(open());
      await expect(attempt).rejects.toThrow(
        `the key file ${keyPath()} is missing, but ${tenants} holds secrets sealed with it (first found in ${store.fileOf('acme')})`,
      );
      await expect(readdir(dir)).resolves.toEqual(['smtp-settings']);
    });

    it('generates a key when no tenant file holds a sealed secret (settings reset, history only)', async () => {
      const store = open();
      await store.put('default', sealedSettings(), changeBy('alice'));
      await store.delete('default', changeBy('alice', ['type']));

      await expect(keyOf(open())).resolves.toHaveLength(32);
      await expect(readdir(dir)).resolves.toEqual(['smtp-settings', 'smtp-settings.key']);
    });

    it('uses an existing key file even when a tenant file holds sealed secrets', async () => {
      const key = await keyOf(open());
      await open().put('default', sealedSettings(), changeBy('alice'));

      await expect(keyOf(open())).resolves.toEqual(key);
    });
  });

  describe('watch', () => {
    it('reports a change written by another instance on the same file', async () => {
      const watcher = open();
      const changed = new Promise<number>((resolve) =>
        watcher.watch((tenant, version) => tenant === 'default' && resolve(version)),
      );

      await open().put('default', sealedSettings(), changeBy('alice'));
      await expect(changed).resolves.toBe(1);
    });

    it('reports a reset, and never a newer version for a tenant that did not change', async () => {
      const writer = open();
      await writer.put('default', sealedSettings(), changeBy('alice'));
      const watcher = open();
      const seen: Array<[string, number]> = [];
      const reset = new Promise<void>((resolve) =>
        watcher.watch((tenant, version) => {
          seen.push([tenant, version]);
          if (tenant === 'default' && version === 2) resolve();
        }),
      );

      await writer.delete('default', changeBy('alice'));
      await reset;
      // A listener may hear the version it already has (here 0), as the store interface allows.
      expect(seen.filter(([tenant]) => tenant === 'default')).toEqual([['default', 2]]);
      expect(seen.filter(([tenant, version]) => tenant === 'other' && version !== 0)).toEqual([]);
    });

    it('logs a file it cannot re-read instead of crashing, and carries on', async () => {
      const watcher = open();
      const versions: number[] = [];
      let recovered!: () => void;
      const done = new Promise<void>((resolve) => (recovered = resolve));
      watcher.watch((_tenant, version) => {
        versions.push(version);
        if (version === 1) recovered();
      });

      const logged = logger.next();
      await writeFile(join(tenants, 'incoming'), '{ broken');
      await rename(join(tenants, 'incoming'), file);
      await expect(logged).resolves.toContain(`${file} is not a valid settings file`);

      await rm(file);
      await open().put('default', sealedSettings(), changeBy('alice'));
      await done;
      expect(versions).toContain(1);
    });
  });

  describe('several processes', () => {
    it('lets exactly one of two instances win concurrent puts at the same expectedVersion', async () => {
      const [a, b] = [open(), open()];
      await a.put('default', sealedSettings(), changeBy('setup'));

      const results = await Promise.allSettled([
        a.put('default', sealedSettings({ hostname: 'a.example.com' }), changeBy('a'), 1),
        b.put('default', sealedSettings({ hostname: 'b.example.com' }), changeBy('b'), 1),
      ]);

      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const [lost] = results.filter((r) => r.status === 'rejected');
      expect(lost?.reason).toBeInstanceOf(SettingsVersionConflictError);
      await expect(a.history('default')).resolves.toHaveLength(2);
    });

    it('loses no change when two instances write at once', async () => {
      const [a, b] = [open(), open()];
      await Promise.all(
        [a, b].flatMap((store, i) =>
          Array.from({ length: 10 }, () =>
            store.put('default', sealedSettings(), changeBy(`${i}`)),
          ),
        ),
      );

      const history = await open().history('default');
      expect(history.map((entry) => entry.version)).toEqual(
        Array.from({ length: 20 }, (_, i) => 20 - i),
      );
    });

    it('removes the lock of a writer on this machine that died, and the temp files it left', async () => {
      const dead = await exitedPid();
      await mkdir(tenants, { recursive: true });
      await writeFile(`${file}.lock`, `${dead}\n${hostname()}\n`);
      // What write-file-atomic and a stale lock moved aside leave when their writer is killed.
      await writeFile(`${file}.3141592653`, '{ half');
      await writeFile(join(tenants, `.64656661756c74.json.lock.${dead}.0a1b2c3d4e5f.stale`), '');

      await open().put('default', sealedSettings(), changeBy('alice'));
      await expect(readdir(tenants)).resolves.toEqual(['64656661756c74.json']);
    });

    it('removes a lock older than 30 s even when its process lives, and not before', async () => {
      await mkdir(tenants, { recursive: true });
      await writeFile(`${file}.lock`, `${process.pid}\n`);
      // Whole seconds, so that the lock's mtime is exactly 28 s before the clock's start.
      const clock = virtualLockClock(Math.floor(Date.now() / 1_000) * 1_000);
      const old = new Date(clock.start - 28_000);
      await utimes(`${file}.lock`, old, old);

      await open().put('default', sealedSettings(), changeBy('alice'));
      // Waited while the lock was younger than 30 s, and took it over at its next try after.
      expect(clock.waited()).toBeGreaterThan(2_000);
      expect(clock.waited()).toBeLessThan(2_000 + LONGEST_LOCK_RETRY_MS);
      await expect(readdir(tenants)).resolves.toEqual(['64656661756c74.json']);
    });

    it('waits for a live local writer, or any writer on another machine, and gives up after 5 s', async () => {
      const deadPid = await exitedPid();
      const holders = [
        { pid: process.pid, host: hostname() },
        // Its pid means nothing here: only the lock's age can tell that it is stale.
        { pid: deadPid, host: 'another-container' },
      ];

      for (const [i, { pid, host }] of holders.entries()) {
        const store = new FileSmtpSettingsStore({ path: join(dir, `locked-${i}.json`), logger });
        stores.push(store);
        const lockedPath = store.fileOf('default');
        const lock = `${pid}\n${host}\n`;
        await mkdir(store.dir, { recursive: true });
        await writeFile(`${lockedPath}.lock`, lock);
        const clock = virtualLockClock();
        // New when the wait starts, by the lock's clock: too young to be stale before the timeout.
        const fresh = new Date(clock.start);
        await utimes(`${lockedPath}.lock`, fresh, fresh);

        const attempt = store.put('default', sealedSettings(), changeBy('alice'));
        await expect(attempt).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(attempt).rejects.toThrow(
          `${lockedPath} stayed locked for 5 s by process ${pid} on ${host}; if no process is writing settings, remove ${lockedPath}.lock`,
        );
        // Kept trying for the whole timeout, and gave up at the first try past it.
        expect(clock.waited()).toBeGreaterThanOrEqual(LOCK_TIMEOUT_MS);
        expect(clock.waited()).toBeLessThan(LOCK_TIMEOUT_MS + LONGEST_LOCK_RETRY_MS);
        clock.restore();
        await expect(readFile(`${lockedPath}.lock`, 'utf8')).resolves.toBe(lock);
      }
    });
  });

  describe('crash safety', () => {
    const fileName = '64656661756c74.json';
    const lockName = `${fileName}.lock`;

    /** Starts the writer, which kills itself after its `step`-th change to the file system. */
    async function killWriterAfter(step: number, cacheDir: string) {
      const child = spawn(process.execPath, ['--require', KILL_HOOK, CRASH_WRITER, path], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          TS_REQUIRE_HOOK_CACHE: cacheDir,
          KILL_AFTER_FS_CHANGE: String(step),
        },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const [, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
      return { signal, stderr, killedAfter: /^killed after (\d+):/m.exec(stdout)?.[1] };
    }

    it(
      'leaves the old or the new file, whole, when the writer is killed after any step of its first save or of a later one',
      async () => {
        const cacheDir = await tempDir();
        let lastVersion = 0;
        /** What the killed writers left beside the tenant file. */
        const leftBehind = new Set<string>();

        for (let step = 1; ; step++) {
          expect(step).toBeLessThanOrEqual(MAX_KILL_STEPS);
          // Each from nothing, so that the first save, which creates the directory and the
          // file, is cut at every step too; the second save replaces a file.
          dir = await tempDir();
          path = join(dir, 'smtp-settings.json');
          tenants = join(dir, 'smtp-settings');
          const killed = await killWriterAfter(step, cacheDir);
          expect(killed).toEqual({ signal: 'SIGKILL', stderr: '', killedAfter: String(step) });

          const store = open();
          const record = await store.get('default');
          const version = record?.version ?? 0;
          // The writer's steps are the same each time: one step later, one save more at most.
          expect([lastVersion, lastVersion + 1]).toContain(version);
          if (record) {
            expect(record.settings).toMatchObject({ hostname: `v${version}.example.com` });
            const senderName = record.settings?.senderName ?? '';
            expect(senderName.startsWith(`v${version}:`)).toBe(true);
            expect(senderName).toHaveLength(SENDER_NAME_LENGTH);
            const history = await store.history('default');
            expect(history[0]?.version).toBe(version);
            expect(history).toHaveLength(version);
          }

          const left = await readdir(tenants);
          const lock = left.includes(lockName)
            ? await readFile(join(tenants, lockName), 'utf8')
            : undefined;
          for (const name of left.filter((name) => name !== fileName)) {
            const text = await readFile(join(tenants, name), 'utf8');
            if (name === lockName) leftBehind.add(text ? 'a lock' : 'an empty lock');
            else if (/^64656661756c74\.json\.\d+$/.test(name)) {
              leftBehind.add(isJson(text) ? 'a temp file' : 'a temp file cut short');
            } else leftBehind.add(name);
          }

          // The killed writer's lock must not hold up the next one: its dead pid frees it at
          // once, and a lock it died before writing its pid into is abandoned once 1 s old.
          const clock = virtualLockClock();
          const next = await store.put(
            'default',
            writerSettings(version + 1),
            changeBy('parent'),
            version,
          );
          expect(clock.waited()).toBeLessThanOrEqual(
            lock === '' ? EMPTY_LOCK_MS + LONGEST_LOCK_RETRY_MS : 0,
          );
          clock.restore();
          expect(next.version).toBe(version + 1);
          await expect(readdir(tenants)).resolves.toEqual([fileName]);

          lastVersion = version;
          // Past the second save's last step, the unlock: both saves were cut at every step.
          if (version === 2 && lock === undefined) break;
        }

        expect(leftBehind).toEqual(
          new Set(['a lock', 'an empty lock', 'a temp file', 'a temp file cut short']),
        );
      },
      MAX_KILL_STEPS * KILL_STEP_BUDGET_MS,
    );
  });
});
