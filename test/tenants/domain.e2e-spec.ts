import { randomBytes } from 'node:crypto';
import {
  DeliveryUnavailableError,
  InMemorySmtpSettingsStore,
  SmtpSettingsService,
  type SealedSmtpSettings,
  type SmtpSettingsChangeEvent,
  type SmtpSettingsModuleOptions,
  type SmtpSettingsRecord,
} from '../../lib';
import { InvalidTenantError } from '../../lib/errors/invalid-tenant.error';
import { UpgradeRequiredError } from '../../lib/errors/upgrade-required.error';
import { MIGRATION_ACTOR } from '../../lib/settings/legacy-secret-migration';
import { TenantSettings } from '../../lib/settings/tenant-settings';
import { sealAsV1 } from '../fixtures/legacy-seal';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';
import { BASIC, BEARER } from '../fixtures/settings-bodies';

const A = 'acme';
const B = 'globex';

/** Counts the reads of each tenant, to show which tenants a service touched. */
class CountingStore extends InMemorySmtpSettingsStore {
  readonly reads = new Map<string, number>();
  readonly calls: string[] = [];

  override get(tenant: string): Promise<SmtpSettingsRecord | null> {
    this.reads.set(tenant, (this.reads.get(tenant) ?? 0) + 1);
    this.calls.push(`get ${tenant}`);
    return super.get(tenant);
  }
  override put(...args: Parameters<InMemorySmtpSettingsStore['put']>) {
    this.calls.push(`put ${args[0]}`);
    return super.put(...args);
  }
  override delete(...args: Parameters<InMemorySmtpSettingsStore['delete']>) {
    this.calls.push(`delete ${args[0]}`);
    return super.delete(...args);
  }
  override history(tenant: string, limit?: number) {
    this.calls.push(`history ${tenant}`);
    return super.history(tenant, limit);
  }
}

describe('Tenants in the domain: settings, history, upgrades and secrets per tenant', () => {
  const apps: SettingsApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((ctx) => ctx.app.close()));
  });

  async function start(options: Partial<SmtpSettingsModuleOptions> = {}) {
    const ctx = await createSettingsApp(options);
    apps.push(ctx);
    // `secrets`: the module's internal reader, which alone opens secrets (for its transport).
    return {
      ...ctx,
      settings: ctx.app.get(SmtpSettingsService),
      secrets: ctx.app.get(TenantSettings),
    };
  }

  it("keeps each tenant's settings, versions and history apart", async () => {
    const { settings, secrets } = await start();
    await settings.update({ ...BASIC, hostname: 'a.example.com' }, { actor: 'ann', tenant: A });
    await settings.update({ ...BASIC, hostname: 'a2.example.com' }, { actor: 'ann', tenant: A });
    await settings.update({ ...BASIC, hostname: 'b.example.com' }, { actor: 'bob', tenant: B });
    await settings.reset({ actor: 'bob', tenant: B });

    await expect(settings.get(A)).resolves.toMatchObject({
      version: 2,
      source: 'custom',
      updatedBy: 'ann',
      settings: { hostname: 'a2.example.com' },
    });
    await expect(settings.get(B)).resolves.toMatchObject({ version: 2, source: 'relay' });
    await expect(settings.get()).resolves.toMatchObject({ version: 0, settings: null });
    expect((await settings.history(A)).map((e) => [e.version, e.by, e.action])).toEqual([
      [2, 'ann', 'update'],
      [1, 'ann', 'update'],
    ]);
    expect((await settings.history(B)).map((e) => [e.version, e.by, e.action])).toEqual([
      [2, 'bob', 'reset'],
      [1, 'bob', 'update'],
    ]);
    await expect(settings.history()).resolves.toEqual([]);
    expect((await secrets.getWithSecrets(A)).settings).toMatchObject({
      hostname: 'a2.example.com',
      password: BASIC.password,
    });
    await expect(secrets.getWithSecrets(B)).resolves.toEqual({ version: 2, settings: null });
  });

  it('checks If-Match against the version of the tenant it changes', async () => {
    const { settings } = await start();
    await settings.update(BASIC, { tenant: A });
    await settings.update(BASIC, { tenant: A });
    await expect(settings.update(BASIC, { tenant: B, expectedVersion: 2 })).rejects.toMatchObject({
      code: 'VERSION_CONFLICT',
    });
    await expect(settings.update(BASIC, { tenant: B, expectedVersion: 0 })).resolves.toMatchObject({
      version: 1,
    });
  });

  it('emits a change of one tenant for that tenant only', async () => {
    const { settings } = await start();
    const events: SmtpSettingsChangeEvent[] = [];
    const subscription = settings.changes$.subscribe((event) => events.push(event));
    await settings.update(BASIC, { tenant: A });
    await settings.reset({ tenant: A });
    await settings.update(BASIC, { tenant: B });
    subscription.unsubscribe();

    expect(events).toEqual([
      { tenant: A, version: 1, source: 'custom', origin: 'local' },
      { tenant: A, version: 2, source: 'relay', origin: 'local' },
      { tenant: B, version: 1, source: 'custom', origin: 'local' },
    ]);
    expect(JSON.stringify(events)).not.toContain(BASIC.password);
  });

  it('asks the upgrades function with the tenant, and allows Bearer only where it is installed', async () => {
    const asked: Array<[string, string]> = [];
    const { settings, secrets } = await start({
      upgrades: (id, tenant) => {
        asked.push([id, tenant]);
        return tenant === A;
      },
    });

    await expect(settings.update(BEARER, { tenant: A })).resolves.toMatchObject({
      settings: { type: 'bearer' },
    });
    await expect(settings.update(BEARER, { tenant: B })).rejects.toBeInstanceOf(
      UpgradeRequiredError,
    );
    await expect(secrets.validate(BEARER, B)).rejects.toBeInstanceOf(UpgradeRequiredError);
    expect(asked).toEqual([
      ['smtp-oauth', A],
      ['smtp-oauth', B],
      ['smtp-oauth', B],
    ]);
    await expect(settings.get(B)).resolves.toMatchObject({ version: 0 });
  });

  it('applies a list of upgrades to every tenant', async () => {
    const { settings } = await start({ upgrades: ['smtp-oauth'] });
    await expect(settings.update(BEARER, { tenant: A })).resolves.toMatchObject({ version: 1 });
    await expect(settings.update(BEARER, { tenant: B })).resolves.toMatchObject({ version: 1 });
  });

  describe('refuses an invalid tenant id before it reaches the store', () => {
    const invalid: Array<[string, unknown, RegExp]> = [
      ['a path', '../x', /must start with a letter or digit: "\.\.\/x"/],
      ['empty', '', /is empty/],
      ['65 characters', 'a'.repeat(65), /is 65 characters long, more than 64/],
      ['a slash', 'a/b', /may hold only letters, digits, "\.", "_" and "-": "a\/b"/],
      ['a space', 'a b', /may hold only/],
      ['a new line', 'a\nb', /may hold only .*"a\\nb"/],
      ['not a string', 42, /must be a string, not number/],
    ];

    it.each(invalid)('%s', async (_name, tenant, message) => {
      const store = new CountingStore();
      const { settings, secrets } = await start({ store });
      store.calls.splice(0);
      const id = tenant as string;
      const calls: Array<() => Promise<unknown>> = [
        () => settings.get(id),
        () => secrets.getWithSecrets(id),
        () => settings.secretProblem(id),
        () => secrets.validate(BASIC, id),
        () => settings.update(BASIC, { tenant: id }),
        () => settings.reset({ tenant: id }),
        () => settings.history(id),
      ];
      for (const call of calls) {
        const error = await call().then(
          () => undefined,
          (thrown: unknown) => thrown,
        );
        expect(error).toBeInstanceOf(InvalidTenantError);
        expect(error).toMatchObject({ code: 'INVALID_TENANT', message });
      }
      expect(store.calls).toEqual([]);
    });

    it('quotes at most 64 characters of a long id', async () => {
      const { settings } = await start();
      const error = (await settings
        .get(`${'x'.repeat(64)}${'SECRET'.repeat(100)}`)
        .catch((thrown: unknown) => thrown)) as Error;
      expect(error).toBeInstanceOf(InvalidTenantError);
      expect(error.message).not.toContain('SECRET');
      expect(error.message.length).toBeLessThan(200);
    });

    it('accepts ids of 1 to 64 letters, digits, ".", "_" and "-"', async () => {
      const { settings } = await start();
      for (const id of ['a', '7', 'a.b', 'A_b-c.9', 'x'.repeat(64), 'CON']) {
        await expect(settings.get(id)).resolves.toMatchObject({ version: 0 });
      }
    });

    it('refuses an invalid defaultTenant at start-up', async () => {
      await expect(start({ defaultTenant: '../etc' })).rejects.toThrow(
        /The defaultTenant option must start with a letter or digit/,
      );
    });
  });

  it("does not open B's sealed record copied into A's place", async () => {
    const store = new InMemorySmtpSettingsStore();
    const { settings, secrets } = await start({ store });
    await settings.update(BASIC, { tenant: B });
    const copied = (await store.get(B))!;
    await store.put(A, copied.settings!, { at: copied.updatedAt, by: null, changed: [] });

    await expect(settings.secretProblem(A)).resolves.toMatch(
      /^the stored password cannot be opened \(.+\): enter it again in the SMTP settings$/,
    );
    const error = await secrets.getWithSecrets(A).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(DeliveryUnavailableError);
    expect(error).toMatchObject({ reason: 'secret-unavailable' });
    expect(String((error as Error).message)).not.toContain(BASIC.password);
    await expect(settings.get(A)).resolves.toMatchObject({ settings: { passwordSet: false } });
    // Re-entry reuses no secret it cannot open: the admin must type it again.
    const { password: _password, ...withoutPassword } = BASIC;
    await expect(settings.update(withoutPassword, { tenant: A })).rejects.toMatchObject({
      code: 'INVALID_SETTINGS',
    });
    await expect(settings.secretProblem(B)).resolves.toBeNull();
  });

  it('reads a tenant on its first use only, once for concurrent first reads', async () => {
    const store = new CountingStore();
    await store.put(A, sealedBasic(), { at: new Date().toISOString(), by: 'x', changed: [] });
    const { settings, secrets } = await start({ store });
    // Start-up reads the default tenant only.
    expect([...store.reads.keys()]).toEqual(['default']);

    const reads = await Promise.all([
      settings.get(A),
      secrets.getWithSecrets(A).catch(() => undefined),
      settings.secretProblem(A),
      settings.get(A),
    ]);
    expect(reads[0]).toMatchObject({ version: 1 });
    await settings.get(A);
    expect(store.reads.get(A)).toBe(1);
    expect(store.reads.has(B)).toBe(false);
  });

  it("reseals a 0.1.0 secret of a tenant at that tenant's first use, bound to the tenant", async () => {
    const key = randomBytes(32);
    const store = new InMemorySmtpSettingsStore();
    const { password, ...rest } = BASIC;
    const legacy = { ...rest, password: sealAsV1(key, password, 'password') };
    await store.put(A, legacy as SealedSmtpSettings, {
      at: new Date().toISOString(),
      by: 'alice',
      changed: ['hostname', 'password'],
    });
    const { settings, secrets } = await start({ store, encryptionKey: key.toString('base64') });
    expect((await store.get(A))?.version).toBe(1);

    await expect(settings.get(A)).resolves.toMatchObject({
      version: 2,
      settings: { passwordSet: true },
    });
    expect((await store.history(A))[0]).toMatchObject({ version: 2, by: MIGRATION_ACTOR });
    expect((await secrets.getWithSecrets(A)).settings).toMatchObject({ password });
    // Bound to A: copied to B, it does not open.
    const resealed = (await store.get(A))!;
    await store.put(B, resealed.settings!, { at: resealed.updatedAt, by: null, changed: [] });
    await expect(settings.secretProblem(B)).resolves.toMatch(/cannot be opened/);
  });
});

function sealedBasic(): SealedSmtpSettings {
  // Sealed with another key: its secret does not open, which these tests do not need.
  return { ...BASIC, password: `enc:v2:xxxxxxxx:${'A'.repeat(20)}` } as SealedSmtpSettings;
}
