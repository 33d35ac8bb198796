import { randomBytes } from 'node:crypto';
import { SecretSealer } from '../../lib/crypto/secret-sealer';
import { SettingsVersionConflictError } from '../../lib/errors/settings-version-conflict.error';
import type { SealedSmtpSettings } from '../../lib/interfaces/smtp-settings.types';
import type {
  SmtpSettingsChange,
  SmtpSettingsStore,
} from '../../lib/interfaces/smtp-settings-store.interface';

export interface StoreUnderTest {
  store: SmtpSettingsStore;
  cleanup(): Promise<void>;
}

const sealer = new SecretSealer(randomBytes(32));
/** Stores never open secrets, so what they are bound to does not matter here. */
const binding = (field: string) => ({ tenant: 'default', field, destination: {} });

/** Settings as the service hands them to a store: secrets already sealed. */
export function sealedSettings(overrides: Partial<{ hostname: string; port: number }> = {}) {
  return {
    type: 'basic',
    hostname: 'smtp.example.com',
    port: 587,
    username: 'mailer',
    senderEmail: 'noreply@example.com',
    useTls: true,
    password: sealer.seal('pw', binding('password')),
    ...overrides,
  } satisfies SealedSmtpSettings;
}

/** A certificate credential's private key, sealed as a client secret is. */
export function sealedKey(): string {
  return sealer.seal('-----BEGIN PRIVATE KEY-----', binding('clientCertificate'));
}

export function bearerSettings(): SealedSmtpSettings {
  return {
    type: 'bearer',
    provider: 'microsoft',
    hostname: 'smtp.office365.com',
    port: 587,
    username: 'mailer@example.com',
    senderEmail: 'mailer@example.com',
    useTls: true,
    clientId: '00000000-0000-0000-0000-000000000001',
    tenantId: '00000000-0000-0000-0000-000000000002',
    clientSecret: sealer.seal('secret', binding('clientSecret')),
  };
}

export function changeBy(by: string | null, changed: string[] = ['hostname']): SmtpSettingsChange {
  return { at: new Date().toISOString(), by, changed };
}

/**
 * What every store must do, whatever keeps the data. Each test gets a fresh store, so that stores
 * backed by shared infrastructure can isolate tests by tenant or by database.
 */
export function describeStoreContract(name: string, factory: () => Promise<StoreUnderTest>): void {
  describe(`${name} (store contract)`, () => {
    let subject: StoreUnderTest;
    let store: SmtpSettingsStore;

    beforeEach(async () => {
      subject = await factory();
      store = subject.store;
    });

    afterEach(async () => {
      await subject.cleanup();
    });

    it('returns null and an empty history for a tenant that was never written', async () => {
      await expect(store.get('default')).resolves.toBeNull();
      await expect(store.history('default')).resolves.toEqual([]);
    });

    it('gives version 1 to the first put and one more to each following put', async () => {
      const first = await store.put('default', sealedSettings(), changeBy('alice'));
      expect(first).toMatchObject({ tenant: 'default', version: 1, updatedBy: 'alice' });
      const bearer = bearerSettings();
      const second = await store.put('default', bearer, changeBy('bob'), 1);
      expect(second.version).toBe(2);

      const stored = await store.get('default');
      expect(stored).toEqual(second);
      expect(stored?.settings).toEqual(bearer);
    });

    it('keeps the exact settings, updatedAt and updatedBy it was given', async () => {
      const settings = sealedSettings();
      const change = changeBy(null);
      await store.put('default', settings, change);
      await expect(store.get('default')).resolves.toEqual({
        tenant: 'default',
        version: 1,
        updatedAt: change.at,
        updatedBy: null,
        settings,
      });
    });

    it('records a delete as a reset with settings null, and bumps the version', async () => {
      await store.put('default', sealedSettings(), changeBy('alice'));
      const reset = await store.delete('default', changeBy('bob', ['type']), 1);
      expect(reset).toMatchObject({ version: 2, settings: null, updatedBy: 'bob' });
      await expect(store.get('default')).resolves.toMatchObject({ version: 2, settings: null });
      const [latest] = await store.history('default');
      expect(latest).toMatchObject({ version: 2, action: 'reset', by: 'bob', changed: ['type'] });
    });

    it('rejects a stale expectedVersion on put and delete and writes nothing, history included', async () => {
      await store.put('default', sealedSettings(), changeBy('alice'));
      const before = await store.get('default');
      const historyBefore = await store.history('default');

      const stalePut = store.put('default', sealedSettings({ port: 2525 }), changeBy('bob'), 0);
      await expect(stalePut).rejects.toBeInstanceOf(SettingsVersionConflictError);
      await expect(stalePut).rejects.toMatchObject({ expectedVersion: 0, currentVersion: 1 });
      const staleDelete = store.delete('default', changeBy('bob'), 7);
      await expect(staleDelete).rejects.toMatchObject({ expectedVersion: 7, currentVersion: 1 });

      await expect(store.get('default')).resolves.toEqual(before);
      await expect(store.history('default')).resolves.toEqual(historyBefore);
    });

    it('treats a never-written tenant as version 0 for expectedVersion', async () => {
      await expect(
        store.put('default', sealedSettings(), changeBy('alice'), 1),
      ).rejects.toMatchObject({ expectedVersion: 1, currentVersion: 0 });
      await expect(store.get('default')).resolves.toBeNull();
      await expect(store.history('default')).resolves.toEqual([]);
      await expect(
        store.put('default', sealedSettings(), changeBy('alice'), 0),
      ).resolves.toMatchObject({ version: 1 });
    });

    it('lists history newest first with field names only, honouring the limit', async () => {
      const first = changeBy('alice', ['hostname', 'password']);
      await store.put('default', sealedSettings(), first);
      await store.put('default', sealedSettings({ port: 465 }), changeBy('bob', ['port']));
      await store.delete('default', changeBy(null, ['type']));

      const history = await store.history('default');
      expect(history).toEqual([
        { version: 3, at: expect.any(String), by: null, action: 'reset', changed: ['type'] },
        { version: 2, at: expect.any(String), by: 'bob', action: 'update', changed: ['port'] },
        {
          version: 1,
          at: first.at,
          by: 'alice',
          action: 'update',
          changed: ['hostname', 'password'],
        },
      ]);
      expect(JSON.stringify(history)).not.toContain('enc:v');
      await expect(store.history('default', 2)).resolves.toEqual(history.slice(0, 2));
    });

    it('keeps tenants independent of each other', async () => {
      await store.put('tenant-a', sealedSettings({ hostname: 'a.example.com' }), changeBy('a'));
      await store.put('tenant-a', sealedSettings({ hostname: 'a2.example.com' }), changeBy('a'));
      await store.put('tenant-b', sealedSettings({ hostname: 'b.example.com' }), changeBy('b'));

      await expect(store.get('tenant-a')).resolves.toMatchObject({
        version: 2,
        settings: { hostname: 'a2.example.com' },
      });
      await expect(store.get('tenant-b')).resolves.toMatchObject({
        version: 1,
        settings: { hostname: 'b.example.com' },
      });
      await expect(store.history('tenant-b')).resolves.toHaveLength(1);
      await expect(store.get('default')).resolves.toBeNull();
    });

    it('lets exactly one of several concurrent puts with the same expectedVersion win', async () => {
      await store.put('default', sealedSettings(), changeBy('setup'));
      const results = await Promise.allSettled(
        ['a', 'b', 'c', 'd', 'e'].map((by) =>
          store.put('default', sealedSettings({ hostname: `${by}.example.com` }), changeBy(by), 1),
        ),
      );

      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(4);
      for (const r of lost) expect(r.reason).toBeInstanceOf(SettingsVersionConflictError);
      await expect(store.get('default')).resolves.toEqual(won[0]?.value);
      await expect(store.history('default')).resolves.toHaveLength(2);
    });

    it('reports the changes of every tenant to one watcher, naming the tenant and its version', async () => {
      if (!store.watch) return;
      const seen: Array<[string, number]> = [];
      let heard!: () => void;
      const both = new Promise<void>((resolve) => (heard = resolve));
      const latest = (tenant: string) =>
        Math.max(0, ...seen.filter(([s]) => s === tenant).map(([, v]) => v));
      const stop = store.watch((tenant, version) => {
        seen.push([tenant, version]);
        if (latest('tenant-a') === 2 && latest('tenant-b') === 1) heard();
      });
      try {
        await store.put('tenant-a', sealedSettings(), changeBy('a'));
        await store.put('tenant-b', sealedSettings(), changeBy('b'));
        await store.delete('tenant-a', changeBy('a'));
        await both;
        // A store may repeat a version it reported (after a reconnect): never one that was not written.
        expect(new Set(seen.map(([tenant]) => tenant))).toEqual(new Set(['tenant-a', 'tenant-b']));
        expect(seen.every(([, version]) => version >= 1 && version <= 2)).toBe(true);
      } finally {
        stop();
      }
    });

    it('returns copies, so that callers cannot change what is stored', async () => {
      const settings = sealedSettings();
      const change = changeBy('alice', ['hostname']);
      const put = await store.put('default', settings, change);
      const snapshot = structuredClone(put);

      settings.hostname = 'changed-input.example.com';
      change.changed.push('changed-input');
      put.version = 99;
      if (put.settings)
        (put.settings as { hostname: string }).hostname = 'changed-result.example.com';
      const got = await store.get('default');
      if (got?.settings)
        (got.settings as { hostname: string }).hostname = 'changed-get.example.com';
      const history = await store.history('default');
      history[0]?.changed.push('changed-history');

      await expect(store.get('default')).resolves.toEqual(snapshot);
      await expect(store.history('default')).resolves.toEqual([
        expect.objectContaining({ version: 1, changed: ['hostname'] }),
      ]);
    });
  });
}
