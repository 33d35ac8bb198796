import { instanceKey } from '../../lib/crypto/instance-key';
import { InMemorySmtpSettingsStore } from '../../lib/stores/in-memory-smtp-settings.store';
import { changeBy, describeStoreContract, sealedSettings } from './store-contract';

describeStoreContract('InMemorySmtpSettingsStore', async () => ({
  store: new InMemorySmtpSettingsStore(),
  cleanup: async () => undefined,
}));

describe('InMemorySmtpSettingsStore', () => {
  it('keeps only the newest historyLimit entries', async () => {
    const store = new InMemorySmtpSettingsStore({ historyLimit: 3 });
    for (let i = 0; i < 5; i++) await store.put('default', sealedSettings(), changeBy('alice'));

    const history = await store.history('default');
    expect(history.map((entry) => entry.version)).toEqual([5, 4, 3]);
  });

  it('tells a listener on the same instance about every put and delete, after the call returns', async () => {
    const store = new InMemorySmtpSettingsStore();
    const seen: Array<[string, number]> = [];
    const twoChanges = new Promise<void>((resolve) => {
      store.watch((tenant, version) => {
        seen.push([tenant, version]);
        if (seen.length === 2) resolve();
      });
    });

    await store.put('default', sealedSettings(), changeBy('alice'));
    await store.delete('default', changeBy('alice'));
    await twoChanges;
    expect(seen).toEqual([
      ['default', 1],
      ['default', 2],
    ]);
  });

  it('calls listeners asynchronously, never inside the writer', async () => {
    const store = new InMemorySmtpSettingsStore();
    let called = false;
    store.watch(() => (called = true));

    const writing = store.put('default', sealedSettings(), changeBy('alice'));
    expect(called).toBe(false);
    await writing;
    await new Promise<void>((resolve) => queueMicrotask(resolve));
    expect(called).toBe(true);
  });

  it('stops calling a listener once unsubscribed, and tells the others of every tenant', async () => {
    const store = new InMemorySmtpSettingsStore();
    const seen: Array<[string, number]> = [];
    const unsubscribed: number[] = [];
    const stop = store.watch((_tenant, version) => unsubscribed.push(version));
    const twoTenants = new Promise<void>((resolve) =>
      store.watch((tenant, version) => {
        seen.push([tenant, version]);
        if (seen.length === 2) resolve();
      }),
    );
    stop();
    stop();

    await store.put('default', sealedSettings(), changeBy('alice'));
    await store.put('other', sealedSettings(), changeBy('alice'));
    await twoTenants;
    expect(seen).toEqual([
      ['default', 1],
      ['other', 1],
    ]);
    expect(unsubscribed).toEqual([]);
  });

  it('hands out the same 32-byte key for its lifetime, and a different one per instance', async () => {
    const store = new InMemorySmtpSettingsStore();
    // What the module uses when no encryptionKey is given.
    const key = instanceKey(store);
    expect(key).toHaveLength(32);
    key.fill(0);

    expect(instanceKey(store)).not.toEqual(key);
    const again = instanceKey(store);
    expect(instanceKey(store)).toEqual(again);
    expect(instanceKey(new InMemorySmtpSettingsStore())).not.toEqual(again);
  });
});
