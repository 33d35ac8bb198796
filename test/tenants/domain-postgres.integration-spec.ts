import { randomBytes } from 'node:crypto';
import { filter, firstValueFrom } from 'rxjs';
import {
  PostgresSmtpSettingsStore,
  SmtpSettingsService,
  type SmtpSettingsModuleOptions,
  type SmtpSettingsRecord,
  type SmtpSettingsStore,
} from '../../lib';
import { TEST_DATABASE_URL, testSchema, uniqueName, type TestSchema } from '../fixtures/postgres';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';
import { BASIC } from '../fixtures/settings-bodies';

const A = 'acme';
const B = 'globex';

describe('Tenants on PostgreSQL, with two replicas', () => {
  const apps: SettingsApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((ctx) => ctx.app.close()));
  });

  async function start(options: Partial<SmtpSettingsModuleOptions> = {}) {
    const ctx = await createSettingsApp(options);
    apps.push(ctx);
    return { ...ctx, settings: ctx.app.get(SmtpSettingsService) };
  }

  let schema: TestSchema;
  beforeAll(() => {
    schema = testSchema('tenants');
  });
  afterAll(async () => {
    await schema.drop();
  });

  function postgresStore(tablePrefix: string): PostgresSmtpSettingsStore & { reads: string[] } {
    const reads: string[] = [];
    class Counting extends PostgresSmtpSettingsStore {
      override get(tenant: string): Promise<SmtpSettingsRecord | null> {
        reads.push(tenant);
        return super.get(tenant);
      }
    }
    const store = new Counting({
      connectionString: TEST_DATABASE_URL,
      schema: schema.name,
      tablePrefix,
      logger: { log() {}, warn() {}, error() {} },
    });
    return Object.assign(store, { reads });
  }

  it("reloads only the changed tenant on the other replica, never another tenant's record", async () => {
    const tablePrefix = uniqueName('t');
    const encryptionKey = randomBytes(32).toString('base64');
    const one = await start({ store: postgresStore(tablePrefix), encryptionKey });
    const otherStore = postgresStore(tablePrefix);
    const two = await start({ store: otherStore as SmtpSettingsStore, encryptionKey });
    await one.settings.update({ ...BASIC, hostname: 'a.example.com' }, { tenant: A });
    await one.settings.update({ ...BASIC, hostname: 'b.example.com' }, { tenant: B });
    // The second replica has both tenants loaded; it learnt of the changes or read them.
    await expect(two.settings.get(A)).resolves.toMatchObject({ version: 1 });
    await expect(two.settings.get(B)).resolves.toMatchObject({ version: 1 });
    otherStore.reads.splice(0);

    const reloaded = firstValueFrom(
      two.settings.changes$.pipe(filter((event) => event.tenant === A && event.version === 2)),
    );
    // A tenant the second replica never used: its change is not even read there.
    await one.settings.update(BASIC, { tenant: 'initech' });
    await one.settings.update({ ...BASIC, hostname: 'a2.example.com' }, { tenant: A });
    await expect(reloaded).resolves.toEqual({
      tenant: A,
      version: 2,
      source: 'custom',
      origin: 'store',
    });

    await expect(two.settings.get(A)).resolves.toMatchObject({
      version: 2,
      settings: { hostname: 'a2.example.com' },
    });
    await expect(two.settings.get(B)).resolves.toMatchObject({ version: 1 });
    expect(otherStore.reads).toContain(A);
    expect(otherStore.reads).not.toContain(B);
    expect(otherStore.reads).not.toContain('initech');
  });
});
