import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { PostgresSmtpSettingsStore, SettingsVersionConflictError } from '../../lib';
import { StoreUnavailableError } from '../../lib/errors/store-unavailable.error';
import type { PostgresSmtpSettingsStoreOptions } from '../../lib';
import { createSettingsApp } from '../fixtures/settings-app';
import {
  backendsNamed,
  eventually,
  listenTo,
  TEST_DATABASE_URL,
  terminateBackends,
  testSchema,
  uniqueName,
  type TestSchema,
} from '../fixtures/postgres';
import { changeBy, describeStoreContract, sealedSettings } from './store-contract';

const quiet = { log() {}, warn() {}, error() {} };
const schema: TestSchema = testSchema();
afterAll(() => schema.drop());

/** A store on tables of its own in this file's schema, unless `tablePrefix` names shared ones. */
function storeOn(options: Partial<PostgresSmtpSettingsStoreOptions> = {}) {
  return new PostgresSmtpSettingsStore({
    ...(options.connectionString ? {} : { pool: schema.pool }),
    schema: schema.name,
    tablePrefix: uniqueName('t'),
    logger: quiet,
    ...options,
  });
}

interface Watcher {
  readonly seen: number[];
  /** Resolves with the first reported version (past or future) that `accept` accepts. */
  until(accept: (version: number) => boolean): Promise<number>;
  stop(): void;
}

/**
 * Watches every tenant, keeping the versions reported for `tenant`. Once listening, the store
 * reports where each written tenant stands.
 */
function watcher(store: PostgresSmtpSettingsStore, tenant = 'default'): Watcher {
  const seen: number[] = [];
  const waiting = new Set<(version: number) => void>();
  const stop = store.watch((changed, version) => {
    if (changed !== tenant) return;
    seen.push(version);
    for (const check of waiting) check(version);
  });
  return {
    seen,
    until: (accept) =>
      new Promise((resolve) => {
        const done = seen.find(accept);
        if (done !== undefined) return resolve(done);
        const check = (version: number) => {
          if (!accept(version)) return;
          waiting.delete(check);
          resolve(version);
        };
        waiting.add(check);
      }),
    stop,
  };
}

const any = () => true;

describeStoreContract('PostgresSmtpSettingsStore', async () => {
  const store = storeOn();
  return { store, cleanup: () => store.close() };
});

describe('PostgresSmtpSettingsStore', () => {
  const stores: PostgresSmtpSettingsStore[] = [];
  const track = (store: PostgresSmtpSettingsStore) => (stores.push(store), store);
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
  });

  it('creates its tables once when five replicas start at once, each with its own pool', async () => {
    const tablePrefix = uniqueName('race');
    const replicas = Array.from({ length: 5 }, () =>
      track(storeOn({ connectionString: TEST_DATABASE_URL, tablePrefix })),
    );
    await Promise.all(replicas.map((store) => store.init()));

    const { rows } = await schema.pool.query(
      'SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename LIKE $2 ORDER BY 1',
      [schema.name, `${tablePrefix}%`],
    );
    expect(rows.map((row) => row.tablename)).toEqual([tablePrefix, `${tablePrefix}_history`]);
    await replicas[0]!.put('default', sealedSettings(), changeBy('alice'));
    await expect(replicas[4]!.get('default')).resolves.toMatchObject({ version: 1 });
    // A later start finds the tables and leaves them, data included.
    const late = track(storeOn({ tablePrefix }));
    await late.init();
    await expect(late.get('default')).resolves.toMatchObject({ version: 1 });
  });

  it('refuses a table prefix or schema that is not a plain SQL identifier', () => {
    for (const tablePrefix of ['', 'Settings', 'smtp-settings', 'a"; DROP TABLE x; --', '1abc']) {
      expect(() => storeOn({ tablePrefix })).toThrow(/tablePrefix must be lower-case letters/);
    }
    expect(() => storeOn({ tablePrefix: 'x'.repeat(56) })).toThrow(/at most 55 characters/);
    expect(() => storeOn({ schema: 'public; --' })).toThrow(/schema must be lower-case letters/);
    expect(() => new PostgresSmtpSettingsStore({})).toThrow(/either `pool` or `connectionString`/);
  });

  it('lets one of two replicas racing on the same version win; the loser writes nothing at all', async () => {
    const tablePrefix = uniqueName('t');
    const a = track(storeOn({ connectionString: TEST_DATABASE_URL, tablePrefix }));
    const b = track(storeOn({ connectionString: TEST_DATABASE_URL, tablePrefix }));

    // The first write of a tenant races too: both expect "never configured".
    const first = await Promise.allSettled([
      a.put('default', sealedSettings({ hostname: 'first-a.example.com' }), changeBy('a'), 0),
      b.put('default', sealedSettings({ hostname: 'first-b.example.com' }), changeBy('b'), 0),
    ]);
    expect(first.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);

    const second = await Promise.allSettled([
      a.put('default', sealedSettings({ hostname: 'second-a.example.com' }), changeBy('a'), 1),
      b.delete('default', changeBy('b'), 1),
    ]);
    const lost = [...first, ...second].filter((r) => r.status === 'rejected');
    expect(lost).toHaveLength(2);
    for (const r of lost) expect(r.reason).toBeInstanceOf(SettingsVersionConflictError);

    // Exactly the winners' changes are stored: the losers left no settings and no history entry.
    const winners = [first, second].map((round) => {
      const won = round.find((r) => r.status === 'fulfilled');
      if (!won) throw new Error('a round had no winner');
      return won.value;
    });
    await expect(a.get('default')).resolves.toEqual(winners[1]);
    const { rows } = await schema.pool.query(
      `SELECT version, by FROM "${schema.name}"."${tablePrefix}_history" ORDER BY version`,
    );
    expect(rows).toEqual(winners.map((w) => ({ version: w.version, by: w.updatedBy })));
    expect(winners.map((w) => w.version)).toEqual([1, 2]);
  });

  it('notifies every change with the tenant and the version only, never the settings', async () => {
    const store = track(storeOn());
    await store.init();
    const feed = await listenTo(store.channel);
    try {
      await store.put(
        'default',
        sealedSettings({ hostname: 'secret-host.example.com' }),
        changeBy('a'),
      );
      await store.delete('default', changeBy('a'));
      const payloads = [await feed.next(), await feed.next()];
      // The payload names the tenant `scope`, as replicas of earlier releases read it.
      expect(payloads.map((p) => JSON.parse(p))).toEqual([
        { scope: 'default', version: 1 },
        { scope: 'default', version: 2 },
      ]);
      expect(payloads.join()).not.toMatch(/secret-host|enc:|mailer/);
    } finally {
      await feed.close();
    }
  });

  it('sends no notification for a change that lost on its version', async () => {
    const store = track(storeOn());
    await store.put('default', sealedSettings(), changeBy('a'));
    const feed = await listenTo(store.channel);
    try {
      await expect(store.put('default', sealedSettings(), changeBy('b'), 0)).rejects.toBeInstanceOf(
        SettingsVersionConflictError,
      );
      await store.put('default', sealedSettings(), changeBy('c'), 1);
      // The first notification after the conflict is the next successful change.
      expect(JSON.parse(await feed.next())).toEqual({ scope: 'default', version: 2 });
    } finally {
      await feed.close();
    }
  });

  it('shares its tables and notifications with replicas of earlier releases: column and key "scope"', async () => {
    const tablePrefix = uniqueName('t');
    const store = track(storeOn({ tablePrefix }));
    await store.put('default', sealedSettings(), changeBy('alice'));
    const { rows } = await schema.pool.query(
      `SELECT scope, version FROM "${schema.name}"."${tablePrefix}" UNION ALL
       SELECT scope, version FROM "${schema.name}"."${tablePrefix}_history"`,
    );
    expect(rows).toEqual([
      { scope: 'default', version: 1 },
      { scope: 'default', version: 1 },
    ]);

    const listening = watcher(store);
    const acme = watcher(store, 'acme');
    await listening.until(any);
    // What an earlier release's replica sends on a save.
    await schema.pool.query('SELECT pg_notify($1, $2)', [
      store.channel,
      JSON.stringify({ scope: 'acme', version: 7 }),
    ]);
    await expect(acme.until((version) => version === 7)).resolves.toBe(7);
  });

  it('tells a watcher on another replica which tenant changed, and its version', async () => {
    const tablePrefix = uniqueName('t');
    const writer = track(storeOn({ tablePrefix }));
    const reader = track(storeOn({ tablePrefix }));
    await writer.put('other', sealedSettings(), changeBy('alice'));
    const other = watcher(reader, 'other');
    const watching = watcher(reader);
    // Once listening, the reader reports where each written tenant stands.
    await other.until(any);

    await writer.put('default', sealedSettings(), changeBy('alice'));
    await expect(watching.until(any)).resolves.toBe(1);
    expect(watching.seen).toEqual([1]);
    expect(other.seen).toEqual([1]);
  });

  it('reconnects after its listener connection is killed and reports the changes it missed', async () => {
    const tablePrefix = uniqueName('t');
    const listenerApplicationName = uniqueName('listener');
    const writer = track(storeOn({ tablePrefix }));
    const reader = track(
      storeOn({
        tablePrefix,
        listenerApplicationName,
        // Long enough that both writes below happen while nobody listens.
        reconnect: { initialDelayMs: 400, maxDelayMs: 400 },
      }),
    );
    await writer.put('default', sealedSettings(), changeBy('alice'));
    const watching = watcher(reader);
    await watching.until(any);
    const [killed] = await terminateBackends(schema.pool, listenerApplicationName);
    expect(killed).toEqual(expect.any(Number));
    await eventually(
      async () => (await backendsNamed(schema.pool, listenerApplicationName)).length === 0,
      'the listener backend to go',
    );

    await writer.put('default', sealedSettings({ port: 2525 }), changeBy('alice'));
    await writer.put('default', sealedSettings({ port: 2526 }), changeBy('alice'));
    await expect(watching.until((version) => version === 3)).resolves.toBe(3);
    // Both notifications went out while nobody listened: version 3 came from reading the table.
    expect(watching.seen).toEqual([1, 3]);
    const now = await backendsNamed(schema.pool, listenerApplicationName);
    expect(now).toHaveLength(1);
    expect(now[0]).not.toBe(killed);
  });

  it('keeps only the newest historyLimit entries, in the table too', async () => {
    const store = track(storeOn({ historyLimit: 3 }));
    for (let i = 0; i < 5; i++) await store.put('default', sealedSettings(), changeBy('alice'));
    await expect(store.history('default')).resolves.toEqual([
      expect.objectContaining({ version: 5 }),
      expect.objectContaining({ version: 4 }),
      expect.objectContaining({ version: 3 }),
    ]);
    const { rows } = await schema.pool.query(
      `SELECT count(*)::int AS n FROM "${schema.name}"."${store.tablePrefix}_history"`,
    );
    expect(rows[0].n).toBe(3);
  });

  it('closes its own pool and listener, leaving no handles, and can be closed twice', async () => {
    const before = handleCounts();
    const listenerApplicationName = uniqueName('listener');
    const store = storeOn({ connectionString: TEST_DATABASE_URL, listenerApplicationName });
    await store.put('default', sealedSettings(), changeBy('alice'));
    // Listening: it reports the current version once connected.
    await watcher(store).until(any);
    expect(await backendsNamed(schema.pool, listenerApplicationName)).toHaveLength(1);

    await Promise.all([store.close(), store.close()]);
    await store.close();
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    const after = handleCounts();
    expect(after.sockets).toBeLessThanOrEqual(before.sockets);
    expect(after.timers).toBeLessThanOrEqual(before.timers);
    await eventually(
      async () => (await backendsNamed(schema.pool, listenerApplicationName)).length === 0,
      'the listener backend to go',
    );
    await expect(store.get('default')).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('leaves a pool it was given open, closing only its listener', async () => {
    const pool = new Pool({ connectionString: TEST_DATABASE_URL, max: 2 });
    try {
      const listenerApplicationName = uniqueName('listener');
      const store = storeOn({ pool, listenerApplicationName });
      await store.put('default', sealedSettings(), changeBy('alice'));
      await watcher(store).until(any);
      expect(await backendsNamed(pool, listenerApplicationName)).toHaveLength(1);
      await store.close();

      expect(pool.ending).toBe(false);
      await expect(pool.query('SELECT 1 AS one')).resolves.toMatchObject({ rows: [{ one: 1 }] });
      await eventually(
        async () => (await backendsNamed(pool, listenerApplicationName)).length === 0,
        'the listener backend to go',
      );
    } finally {
      await pool.end();
    }
  });

  it('answers 503-style store errors, not crashes, when the database is unreachable', async () => {
    const store = track(
      storeOn({ connectionString: 'postgres://postgres@127.0.0.1:1/test', tablePrefix: 'x' }),
    );
    await expect(store.get('default')).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
      message: expect.stringContaining('PostgreSQL settings store'),
    });
  });

  it('makes the module require an encryption key, since it cannot keep one', async () => {
    const store = track(storeOn());
    await expect(createSettingsApp({ store, encryptionKey: undefined })).rejects.toThrow(
      'encryptionKey is required with PostgresSmtpSettingsStore',
    );
    const { app } = await createSettingsApp({
      store,
      encryptionKey: randomBytes(32).toString('base64'),
    });
    await app.close();
  });
});

function handleCounts(): { sockets: number; timers: number } {
  const resources = process.getActiveResourcesInfo();
  return {
    sockets: resources.filter((r) => r === 'TCPSocketWrap').length,
    timers: resources.filter((r) => r === 'Timeout').length,
  };
}
