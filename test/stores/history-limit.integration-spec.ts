import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import {
  FileSmtpSettingsStore,
  InMemorySmtpSettingsStore,
  PostgresSmtpSettingsStore,
  type SmtpSettingsStore,
} from '../../lib';
import { ADMIN_TOKEN } from '../fixtures/admin.guard';
import { testSchema, uniqueName } from '../fixtures/postgres';
import { createSettingsApp } from '../fixtures/settings-app';
import { BASIC } from '../fixtures/settings-bodies';

const AUTH = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const schema = testSchema();
const dirs: string[] = [];

afterAll(async () => {
  await schema.drop();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Each store as an application passes it in, with its own default limit (100). */
const stores: Array<[string, () => Promise<SmtpSettingsStore>]> = [
  ['InMemorySmtpSettingsStore', async () => new InMemorySmtpSettingsStore()],
  [
    'FileSmtpSettingsStore',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'smtp-history-limit-'));
      dirs.push(dir);
      return new FileSmtpSettingsStore({ path: join(dir, 'smtp-settings.json') });
    },
  ],
  [
    'PostgresSmtpSettingsStore',
    async () =>
      new PostgresSmtpSettingsStore({
        pool: schema.pool,
        schema: schema.name,
        tablePrefix: uniqueName('t'),
        logger: { log() {}, warn() {}, error() {} },
      }),
  ],
];

describe.each(stores)('the historyLimit option with a %s passed in', (_name, createStore) => {
  it('keeps and returns only that many history entries', async () => {
    const store = await createStore();
    const { app } = await createSettingsApp({ store, historyLimit: 2 });
    try {
      for (const senderName of ['One', 'Two', 'Three', 'Four']) {
        await request(app.getHttpServer())
          .put('/smtp-settings')
          .set(AUTH)
          .send({ ...BASIC, senderName })
          .expect(200);
      }

      const res = await request(app.getHttpServer())
        .get('/smtp-settings/history')
        .set(AUTH)
        .expect(200);
      expect(res.body.map((entry: { version: number }) => entry.version)).toEqual([4, 3]);
      // Kept, not only returned: the store itself holds no more.
      const kept = await store.history('default');
      expect(kept.map((entry) => entry.version)).toEqual([4, 3]);
    } finally {
      await app.close();
    }
  });
});
