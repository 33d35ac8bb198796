import { Logger } from '@nestjs/common';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bootstrap } from '../../sample-app/bootstrap';
import { CapturingLogger, CLEAN_ENV, startSampleApp } from '../fixtures/sample-app-harness';
import { createSettingsApp } from '../fixtures/settings-app';

const ROOT = resolve(__dirname, '..', '..');
const TOKEN = 'startup-admin-token-1f2e3d';

/** Listens on an OS-picked loopback port, so that a test can find that port busy. */
async function occupyPort(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { server, port: (server.address() as { port: number }).port };
}

/** Runs sample-app/main.ts from source in a child process; resolves with everything it printed. */
function runMain(
  env: Record<string, string>,
  cwd: string,
): Promise<{ code: number; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      ['-r', join(ROOT, 'test/fixtures/ts-require-hook.js'), join(ROOT, 'sample-app/main.ts')],
      { cwd, env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env } },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', fail);
    child.once('close', (code) => done({ code: code ?? -1, output }));
  });
}

describe('Start-up messages', () => {
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sample-startup-'));
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  describe('the library, with upgrades as a list', () => {
    const logs: string[] = [];
    beforeEach(() => {
      logs.length = 0;
      for (const level of ['log', 'warn'] as const) {
        jest
          .spyOn(Logger.prototype, level)
          .mockImplementation(
            (...args: unknown[]) => void logs.push(`${level} ${String(args[0])}`),
          );
      }
    });
    afterEach(() => jest.restoreAllMocks());

    it('logs the installed upgrades and warns about an unknown id, suggesting the known one', async () => {
      const ctx = await createSettingsApp({ upgrades: ['smtp-oauth', 'smtp-oath', 'billing'] });
      await ctx.app.close();
      expect(logs).toContain(
        'log Installed upgrades: smtp-oauth (Security Enhancement - oAuth Enablement for SMTP services)',
      );
      expect(logs).toContain(
        'warn The upgrades option names an unknown upgrade "smtp-oath", which is ignored. ' +
          'Did you mean "smtp-oauth"? Known upgrades: smtp-oauth',
      );
      expect(logs).toContainEqual(
        expect.stringMatching(/^warn .*unknown upgrade "billing", which is ignored\. Known/),
      );
    });

    it('says when nothing is installed', async () => {
      const ctx = await createSettingsApp({ upgrades: [] });
      await ctx.app.close();
      expect(logs).toContain('log Installed upgrades: none');
    });
  });

  describe('the sample app', () => {
    it('warns about an unknown id in INSTALLED_UPGRADES and logs what is installed', async () => {
      const h = await startSampleApp({ INSTALLED_UPGRADES: 'smtp-oath' }, TOKEN);
      try {
        expect(h.logger.lines).toContain(
          'WARN INSTALLED_UPGRADES names an unknown upgrade "smtp-oath", which is ignored. ' +
            'Did you mean "smtp-oauth"? Known upgrades: smtp-oauth SampleApp',
        );
        expect(h.logger.text).toContain(
          `Upgrades installed: none; changes on the admin page are kept in ${join(h.dataDir, 'upgrades.json')}`,
        );
        expect((await h.call('GET', '/upgrades')).body).toEqual({
          tenant: 'default',
          installed: [],
        });
      } finally {
        await h.close();
      }
    });

    it('keeps the upgrades installed and removed on the page across a restart, in DATA_DIR', async () => {
      const env = { ...CLEAN_ENV, DATA_DIR: dataDir, ADMIN_TOKEN: TOKEN };
      const auth = { Authorization: `Bearer ${TOKEN}` };
      const first = await bootstrap({ env, logger: new CapturingLogger() });
      const installed = await fetch(`${first.urls.base}/upgrades/smtp-oauth`, {
        method: 'PUT',
        headers: auth,
      });
      expect(installed.status).toBe(204);
      await first.app.close();
      expect(JSON.parse(await readFile(join(dataDir, 'upgrades.json'), 'utf8'))).toEqual({
        tenants: { default: ['smtp-oauth'] },
      });

      const logger = new CapturingLogger();
      const second = await bootstrap({ env, logger });
      try {
        const caps = await fetch(`${second.urls.api}/capabilities`, { headers: auth });
        expect(((await caps.json()) as { authTypes: string[] }).authTypes).toEqual([
          'basic',
          'bearer',
        ]);
        expect(logger.text).toContain('Upgrades installed: smtp-oauth (Security Enhancement');
      } finally {
        await second.app.close();
      }
      // Removed at run time: stays removed, even with INSTALLED_UPGRADES asking for it, and says why.
      const third = await bootstrap({
        env: { ...env, INSTALLED_UPGRADES: 'smtp-oauth' },
        logger: new CapturingLogger(),
      });
      await fetch(`${third.urls.base}/upgrades/smtp-oauth`, { method: 'DELETE', headers: auth });
      await third.app.close();
      const fourthLog = new CapturingLogger();
      const fourth = await bootstrap({
        env: { ...env, INSTALLED_UPGRADES: 'smtp-oauth' },
        logger: fourthLog,
      });
      try {
        const list = await fetch(`${fourth.urls.base}/upgrades`, { headers: auth });
        expect(await list.json()).toEqual({ tenant: 'default', installed: [] });
        expect(fourthLog.text).toContain(
          `INSTALLED_UPGRADES=smtp-oauth is not applied: the upgrades installed and removed at run time are kept in ${join(dataDir, 'upgrades.json')}`,
        );
      } finally {
        await fourth.app.close();
      }
    });

    it('refuses a busy HTTP port naming PORT, and logs no error of its own', async () => {
      const busy = await occupyPort();
      const logger = new CapturingLogger();
      try {
        await expect(
          bootstrap({
            env: { ...CLEAN_ENV, DATA_DIR: dataDir, ADMIN_TOKEN: TOKEN, PORT: String(busy.port) },
            logger,
          }),
        ).rejects.toThrow(
          `The sample app cannot listen on 127.0.0.1:${busy.port} (EADDRINUSE). Set PORT to a free port (0 picks one).`,
        );
      } finally {
        await new Promise((done) => busy.server.close(done));
      }
      expect(logger.lines.filter((line) => line.startsWith('ERROR'))).toEqual([]);
    });

    it('refuses a busy dev inbox port naming DEV_INBOX_PORT, and logs it nowhere else', async () => {
      const busy = await occupyPort();
      const logger = new CapturingLogger();
      try {
        await expect(
          bootstrap({
            env: { ...CLEAN_ENV, DATA_DIR: dataDir, DEV_INBOX_PORT: String(busy.port) },
            logger,
          }),
        ).rejects.toThrow(/Set DEV_INBOX_PORT to a free port/);
      } finally {
        await new Promise((done) => busy.server.close(done));
      }
      expect(logger.text).not.toContain('EADDRINUSE');
    });

    it('refuses SMTP_RELAY_URL that turns certificate verification off, naming the variable', async () => {
      await expect(
        bootstrap({
          env: {
            ...CLEAN_ENV,
            DATA_DIR: dataDir,
            SMTP_RELAY_URL: 'smtps://relay.example.com:465?tls.rejectUnauthorized=false',
          },
          logger: new CapturingLogger(),
        }),
      ).rejects.toThrow(/SMTP_RELAY_URL must not turn certificate verification off/);
    });

    it('prints a configuration error once, without a stack trace, and exits with 1', async () => {
      const { code, output } = await runMain({ PORT: 'eighty', DATA_DIR: dataDir }, dataDir);
      expect(code).toBe(1);
      const message = 'PORT must be a port number from 0 to 65535 (got "eighty")';
      expect(output.split(message)).toHaveLength(2);
      expect(output).toContain('The sample app cannot start:');
      expect(output).not.toMatch(/^\s+at /m);
      expect(output).not.toContain('ERROR');
    }, 60_000);
  });
});
