import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startSampleApp, type SampleAppHarness } from '../fixtures/sample-app-harness';

const ROOT = resolve(__dirname, '..', '..');
const TOKEN = 'telemetry-admin-token-8c1e4d';
const ACME_TOKEN = 'telemetry-acme-token-2b7f90';

describe('The sample app with OTEL=1', () => {
  let h: SampleAppHarness;

  beforeAll(async () => {
    // No traces: this file reads the metrics, and spans on the console would only fill the output.
    h = await startSampleApp(
      { OTEL: '1', OTEL_TRACES_EXPORTER: 'none', ADMIN_TOKENS: `${ACME_TOKEN}:acme` },
      TOKEN,
    );
  });
  afterAll(() => h?.close());

  it('logs that the SDK runs, where metrics are and that no traces go out', () => {
    expect(h.logger.text).toContain(
      `OpenTelemetry (nest-smtp-settings-sample): no traces, metrics at ${h.started.urls.base}/metrics ` +
        "(the default tenant's admin token)",
    );
  });

  it('refuses GET /metrics without a token (401) and with another tenant’s admin token (403)', async () => {
    expect((await h.call('GET', '/metrics', undefined, null)).status).toBe(401);
    const acme = await h.call('GET', '/metrics', undefined, ACME_TOKEN);
    expect(acme.status).toBe(403);
    expect(acme.body.message).toContain('tenant default');
  });

  it('answers GET /metrics in Prometheus’s text format to the default tenant’s admin', async () => {
    const res = await h.call('GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(res.text).toMatch(/^# HELP target_info /m);
    expect(res.text).toContain('service_name="nest-smtp-settings-sample"');
  });

  it('counts a notification it sent in smtp_settings_messages_total', async () => {
    const sent = await h.call('POST', '/notifications', {
      to: 'someone@example.com',
      subject: 'Counted',
      text: 'One message for the counter.',
    });
    expect(sent.status).toBe(202);
    const res = await h.call('GET', '/metrics');
    expect(res.text).toMatch(/^# TYPE smtp_settings_messages_total counter$/m);
    expect(res.text).toMatch(
      /^smtp_settings_messages_total\{[^}]*smtp_settings_outcome="sent"[^}]*\} 1$/m,
    );
    // No label per tenant unless the operator asks for one.
    expect(res.text).not.toContain('smtp_settings_tenant=');
  });
});

describe('The sample app with OTEL_TENANT_ATTRIBUTE=1', () => {
  let h: SampleAppHarness;

  beforeAll(async () => {
    h = await startSampleApp(
      {
        OTEL_TENANT_ATTRIBUTE: '1',
        OTEL_TRACES_EXPORTER: 'none',
        ADMIN_TOKENS: `${ACME_TOKEN}:acme`,
      },
      TOKEN,
    );
  });
  afterAll(() => h?.close());

  it('starts telemetry (an OTEL_* variable is enough) and labels the counter with the tenant', async () => {
    expect(h.logger.text).toContain(', with the tenant as an attribute');
    const sent = await h.call(
      'POST',
      '/notifications',
      { to: 'someone@example.com', subject: 'Per tenant', text: 'One message of acme.' },
      ACME_TOKEN,
    );
    expect(sent.status).toBe(202);
    const res = await h.call('GET', '/metrics');
    expect(res.text).toMatch(
      /^smtp_settings_messages_total\{[^}]*smtp_settings_tenant="acme"[^}]*\} 1$/m,
    );
  });
});

/** Starts the sample app in a child process and says which of `packages` it loaded. */
function loadedPackages(
  env: Record<string, string>,
  packages: string[],
): Promise<{ loaded: string[]; output: string }> {
  const script = `
    const { bootstrap } = require(${JSON.stringify(join(ROOT, 'sample-app/bootstrap.ts'))});
    bootstrap({ logger: false }).then(async ({ app }) => {
      const files = Object.keys(require.cache);
      const loaded = ${JSON.stringify(packages)}.filter((p) => files.some((f) => f.includes('/node_modules/' + p + '/')));
      await app.close();
      console.log('LOADED ' + JSON.stringify(loaded));
    });`;
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      ['-r', join(ROOT, 'test/fixtures/ts-require-hook.js'), '-e', script],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env } },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', fail);
    child.once('close', () => {
      const line = /^LOADED (.*)$/m.exec(output);
      done({ loaded: line ? (JSON.parse(line[1]!) as string[]) : ['(no answer)'], output });
    });
  });
}

describe('The sample app without OTEL', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sample-no-otel-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  // Not @opentelemetry/api: the library may read it (a no-op without an SDK), the app starts none.
  it('loads no OpenTelemetry SDK and no Bull Board module (the quick start is unchanged)', async () => {
    const { loaded, output } = await loadedPackages(
      { PORT: '0', DEV_INBOX_PORT: '0', DATA_DIR: dataDir, ADMIN_TOKEN: TOKEN },
      [
        '@opentelemetry/sdk-node',
        '@opentelemetry/sdk-trace',
        '@opentelemetry/exporter-prometheus',
        'bullmq-otel',
        '@bull-board/api',
      ],
    );
    expect({ loaded, output: loaded.length > 0 ? output : '' }).toEqual({ loaded: [], output: '' });
  });

  it('serves no /metrics and no /admin/queues', async () => {
    const h = await startSampleApp({}, TOKEN);
    try {
      expect((await h.call('GET', '/metrics')).status).toBe(404);
      expect((await h.call('GET', '/admin/queues')).status).toBe(404);
    } finally {
      await h.close();
    }
  });
});
