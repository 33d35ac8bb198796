import { PostgresSmtpSettingsStore } from '../../lib';
import * as sql from '../../lib/stores/postgres/postgres-queries';
import { tablesFor } from '../../lib/stores/postgres/postgres-schema';
import { testSchema, uniqueName, type TestSchema } from '../fixtures/postgres';
import { changeBy, sealedSettings } from './store-contract';

const TENANTS = 20_000;
const quiet = { log() {}, warn() {}, error() {} };

/**
 * A tenant's reads and writes must not grow with the number of tenants: every statement that names
 * one tenant finds its rows through an index, never by scanning the table.
 */
describe('PostgresSmtpSettingsStore with many tenants', () => {
  let schema: TestSchema;
  let store: PostgresSmtpSettingsStore;
  const tablePrefix = uniqueName('t');

  beforeAll(async () => {
    schema = testSchema('tenants');
    store = new PostgresSmtpSettingsStore({
      pool: schema.pool,
      schema: schema.name,
      tablePrefix,
      logger: quiet,
    });
    await store.init();
    const { records, history } = tablesFor({ schema: schema.name, tablePrefix });
    // Written as any release would: the tenant's column is `scope`.
    await schema.pool.query(
      `INSERT INTO ${records} (scope, version, updated_at, updated_by, settings)
       SELECT 'tenant-' || i, 3, now(), 'seed', NULL FROM generate_series(1, $1::int) AS i`,
      [TENANTS],
    );
    await schema.pool.query(
      `INSERT INTO ${history} (scope, version, at, by, action, changed)
       SELECT 'tenant-' || i, v, now(), 'seed', 'update', ARRAY['hostname']
       FROM generate_series(1, $1::int) AS i, generate_series(1, 3) AS v`,
      [TENANTS],
    );
    await schema.pool.query(`ANALYZE ${records}`);
    await schema.pool.query(`ANALYZE ${history}`);
  });

  afterAll(async () => {
    await store.close();
    await schema.drop();
  });

  async function planOf(statement: string, values: unknown[]): Promise<string> {
    const { rows } = await schema.pool.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN ${statement}`,
      values,
    );
    return rows.map((row) => row['QUERY PLAN']).join('\n');
  }

  const tables = () => tablesFor({ schema: schema.name, tablePrefix });
  const at = new Date().toISOString();
  const statements: Array<[string, () => [string, unknown[]]]> = [
    ['reading a record', () => [sql.selectRecord(tables()), ['tenant-77']]],
    ['reading a version', () => [sql.selectVersion(tables()), ['tenant-77']]],
    ['reading the history, newest first', () => [sql.selectHistory(tables()), ['tenant-77', 100]]],
    ['writing a record', () => [sql.upsertRecord(tables()), ['tenant-77', at, 'x', null]]],
    ['writing at a version', () => [sql.updateRecordAt(tables()), ['tenant-77', at, 'x', null, 3]]],
    ['trimming the history', () => [sql.trimHistory(tables()), ['tenant-77', 1]]],
  ];

  it.each(statements)('uses an index for %s, never a scan of every tenant', async (_name, of) => {
    const [statement, values] = of();
    const plan = await planOf(statement, values);
    // An upsert finds the tenant's row through its conflict index (the primary key).
    expect(plan).toMatch(/Index (Only )?Scan|Conflict Arbiter Indexes/);
    expect(plan).not.toMatch(/Seq Scan/);
  });

  it('serves one tenant among many: its record, its history, its changes', async () => {
    await store.put('tenant-77', sealedSettings({ hostname: 't77.example.com' }), changeBy('ann'));
    await expect(store.get('tenant-77')).resolves.toMatchObject({
      version: 4,
      settings: { hostname: 't77.example.com' },
    });
    const history = await store.history('tenant-77', 2);
    expect(history.map((entry) => [entry.version, entry.by])).toEqual([
      [4, 'ann'],
      [3, 'seed'],
    ]);
    await expect(store.get('tenant-78')).resolves.toMatchObject({ version: 3, settings: null });
  });
});
