import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');

/**
 * `npm start` runs the sample app compiled into its own folder (dist-sample/), not from source: the
 * quick start only holds if that build starts and serves. Built here into a folder of its own,
 * inside the repository so that its imports resolve against node_modules.
 */
describe('The sample app as npm start builds it', () => {
  const out = mkdtempSync(join(ROOT, '.test-build-'));
  const dataDir = mkdtempSync(join(tmpdir(), 'sample-built-'));
  let child: ChildProcess | undefined;

  afterAll(() => {
    child?.kill();
    rmSync(out, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  const build = () =>
    execFileSync(
      process.execPath,
      [
        require.resolve('typescript/bin/tsc'),
        '-p',
        'sample-app/tsconfig.json',
        '--outDir',
        out,
        '--listEmittedFiles',
      ],
      { cwd: ROOT, stdio: 'pipe', encoding: 'utf8' },
    );

  it('starts from the compiled JavaScript and serves the admin API', async () => {
    expect(build()).toContain('main.js');
    const token = 'built-sample-admin-token';
    child = spawn(process.execPath, [join(out, 'sample-app', 'main.js')], {
      cwd: dataDir,
      env: {
        PATH: process.env.PATH ?? '',
        NO_COLOR: '1',
        PORT: '0',
        DEV_INBOX_PORT: '0',
        DATA_DIR: dataDir,
        ADMIN_TOKEN: token,
      },
    });
    const url = await new Promise<string>((done, fail) => {
      let output = '';
      const read = (chunk: Buffer) => {
        output += chunk.toString();
        const found = /Settings API: (http:\/\/\S+)/.exec(output);
        if (found) done(found[1]!);
      };
      child!.stdout!.on('data', read);
      child!.stderr!.on('data', read);
      child!.once('exit', (code) => fail(new Error(`exited with ${code}:\n${output}`)));
    });
    const response = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ tenant: 'default', source: 'relay', version: 0 });
  }, 120_000);

  // npm start builds before each start: with nothing changed, the build writes nothing.
  it('builds incrementally: a second build with no change emits no file', () => {
    expect(build().trim()).toBe('');
  }, 60_000);
});
