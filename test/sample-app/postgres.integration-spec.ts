import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'pg';
import { TEST_DATABASE_URL } from '../fixtures/postgres';
import { startSampleApp, type SampleAppHarness } from '../fixtures/sample-app-harness';

describe('The sample app with DATABASE_URL', () => {
  const schema = `sample_app_${randomBytes(5).toString('hex')}`;
  const PASSWORD = 'postgres-mode-password-77a1';
  const admin = new Pool({ connectionString: TEST_DATABASE_URL, max: 1 });
  let h: SampleAppHarness;

  beforeAll(async () => {
    await admin.query(`CREATE SCHEMA "${schema}"`);
    // The store creates its tables in the connection's search_path: a schema of this test's own.
    const url = new URL(TEST_DATABASE_URL);
    url.searchParams.set('options', `-c search_path=${schema}`);
    h = await startSampleApp({
      DATABASE_URL: url.toString(),
      SMTP_SETTINGS_KEY: randomBytes(32).toString('base64'),
    });
  });
  afterAll(async () => {
    await h?.close();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  it('keeps the settings in PostgreSQL, sealed, and logs the database without credentials', async () => {
    const inbox = h.started.devInbox!;
    const saved = await h.call('PUT', '/smtp-settings', {
      type: 'basic',
      hostname: inbox.host,
      port: inbox.port,
      username: 'pg-user',
      password: PASSWORD,
      senderEmail: 'noreply@acme.example',
      useTls: false,
    });
    expect(saved.status).toBe(200);
    const { rows } = await admin.query(`SELECT settings FROM "${schema}".smtp_settings`);
    expect(rows).toHaveLength(1);
    const stored = JSON.stringify(rows[0]);
    expect(stored).toContain('enc:v2:');
    expect(stored).not.toContain(PASSWORD);

    expect(h.started.dataFile).toBeNull();
    expect(h.started.settingsDir).toBeNull();
    expect(existsSync(join(h.dataDir, 'smtp-settings'))).toBe(false);
    expect(existsSync(join(h.dataDir, 'smtp-settings.json'))).toBe(false);
    const where = new URL(TEST_DATABASE_URL);
    expect(h.logger.text).toContain(
      `Settings store: PostgreSQL at postgres://${where.host}${where.pathname} (DATABASE_URL)`,
    );
    expect(h.logger.text).not.toContain(PASSWORD);
    const sent = await h.call('POST', '/smtp-settings/test-email', { to: 'a@acme.example' });
    expect(sent.body).toMatchObject({ ok: true, route: 'custom' });
  });
});
