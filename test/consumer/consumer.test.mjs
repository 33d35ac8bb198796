// Consumer tests: the packed tarball, installed from the registry into throwaway Nest apps (Nest 12
// on Express as an ES module app, Nest 11 on Express, Nest 12 on Fastify), compiled with tsc in
// strict mode, then booted: GET/PUT /smtp-settings and mail through the library's MailerService to
// an SMTP server that this script runs. Each app boots under every Node.js found here (the one that
// runs this script, and the machine's own if it differs), without any optional peer installed.
// Each app also type-checks the whole files of README.md and docs/*.md (see doc-blocks.mjs).
//
//   npm run test:consumer                  all variants
//   CONSUMER_VARIANTS=nest11-express npm run test:consumer
//   CONSUMER_KEEP=1 npm run test:consumer  keep the temp folder to look at the apps
//
// Installs share the npm cache (--prefer-offline). A summary goes to test-artifacts/consumer.json.
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SMTPServer } from 'smtp-server';
import {
  DOC_BLOCKS_OUT,
  DOC_BLOCKS_TSCONFIG,
  documentsOf,
  explainTscOutput,
  fileBlocksOf,
  setsOf,
  writeDocBlocks,
} from './doc-blocks.mjs';

const run = promisify(execFile);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ADMIN_TOKEN = 'consumer-admin-token';
const SMTP_USER = { username: 'mailer', password: 'mailer-password' };

const NEST_12 = { common: '12.5.1', core: '12.5.1', express: '12.5.1', fastify: '12.5.0' };
const NEST_11 = { common: '11.2.10', core: '11.2.10', express: '11.2.10' };

/** Exact versions, so that a run is repeatable and the npm cache serves it. */
const VARIANTS = [
  {
    name: 'nest12-express-esm',
    description: 'Nest 12, Express, an ES module app ("type": "module"), TypeScript 6',
    adapter: 'express',
    esm: true,
    dependencies: {
      '@nestjs/common': NEST_12.common,
      '@nestjs/core': NEST_12.core,
      '@nestjs/platform-express': NEST_12.express,
      'reflect-metadata': '0.2.2',
      rxjs: '7.8.2',
      nodemailer: '10.6.1',
      'class-validator': '0.15.1',
      'class-transformer': '0.5.1',
    },
    devDependencies: { typescript: '6.0.3', '@types/node': '24.19.4' },
  },
  {
    name: 'nest11-express',
    description:
      'Nest 11, Express, CommonJS, TypeScript 5.9, the oldest peers: nodemailer 10.0.11, class-validator 0.14',
    adapter: 'express',
    esm: false,
    dependencies: {
      '@nestjs/common': NEST_11.common,
      '@nestjs/core': NEST_11.core,
      '@nestjs/platform-express': NEST_11.express,
      'reflect-metadata': '0.2.2',
      rxjs: '7.8.2',
      nodemailer: '10.0.11',
      'class-validator': '0.14.4',
      'class-transformer': '0.5.1',
    },
    devDependencies: { typescript: '5.9.3', '@types/node': '24.19.4' },
  },
  {
    name: 'nest12-fastify',
    description: 'Nest 12, Fastify, CommonJS, TypeScript 6',
    adapter: 'fastify',
    esm: false,
    dependencies: {
      '@nestjs/common': NEST_12.common,
      '@nestjs/core': NEST_12.core,
      '@nestjs/platform-fastify': NEST_12.fastify,
      'reflect-metadata': '0.2.2',
      rxjs: '7.8.2',
      nodemailer: '10.6.1',
      'class-validator': '0.15.1',
      'class-transformer': '0.5.1',
    },
    devDependencies: { typescript: '6.0.3', '@types/node': '24.19.4' },
  },
];

const OPTIONAL_PEERS = ['pg', '@azure/msal-node', '@nestjs/swagger', '@nestjs-modules/mailer'];

/** What the documentation's whole files import besides Nest and this package (12 serves Nest 11 too). */
const DOC_DEPENDENCIES = { '@nestjs/config': '12.0.1' };

/** The Nest 12 starter's compiler options, with strict on and the libraries' types checked too. */
const COMPILER_OPTIONS = {
  module: 'nodenext',
  moduleResolution: 'nodenext',
  resolvePackageJsonExports: true,
  esModuleInterop: true,
  isolatedModules: true,
  emitDecoratorMetadata: true,
  experimentalDecorators: true,
  allowSyntheticDefaultImports: true,
  target: 'ES2023',
  types: ['node'],
  outDir: './dist',
  rootDir: './src',
  strict: true,
  skipLibCheck: false,
  noEmitOnError: true,
};

const docs = fileBlocksOf(documentsOf(ROOT));

const selected = (process.env.CONSUMER_VARIANTS ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const variants = selected.length ? VARIANTS.filter((v) => selected.includes(v.name)) : VARIANTS;
assert.ok(variants.length > 0, `no variant matches CONSUMER_VARIANTS=${selected.join(',')}`);

const work = mkdtempSync(join(tmpdir(), 'nest-smtp-settings-consumer-'));
const nodes = findNodes();
const summary = {
  startedAt: new Date().toISOString(),
  nodes: nodes.map((n) => n.version),
  pack: {},
  variants: [],
};
let tarball;

// Before the build: these need no package, and say what is wrong even when lib/ does not compile.
describe("the documentation's whole files", () => {
  it("are all marked, and README.md's show what a real app needs", () => {
    assert.deepEqual(docs.problems, []);
    const readme = docs.files.filter((f) => f.document === 'README.md');
    const shown = (what, pattern) =>
      assert.ok(
        readme.some((f) => pattern.test(f.text)),
        `README.md has no whole file (a block whose first line is "// src/….ts") with ${what}`,
      );
    shown('SmtpSettingsModule.forRoot({ isGlobal: true, … })', /forRoot\(\{[^]*isGlobal: true/);
    shown('SmtpSettingsModule.forRootAsync', /SmtpSettingsModule\.forRootAsync\(/);
    shown('encryptionKey', /encryptionKey:/);
    shown('a guard with a constructor dependency', /implements CanActivate[^]*constructor\(\S/);
    shown(
      'MailerService injected, with its import',
      /import \{[^}]*\bMailerService\b[^}]*\} from 'nest-smtp-settings'[^]*constructor\([^)]*: MailerService\)/,
    );
    shown('main.ts calling app.enableShutdownHooks()', /app\.enableShutdownHooks\(\)/);
  });

  it("name a tsc error by the block's document and line", () => {
    const { files } = fileBlocksOf([
      {
        name: 'README.md',
        markdown: [
          '# Example',
          '',
          '```ts',
          '// src/app.module.ts',
          "import { Nope } from 'nest-smtp-settings';",
          'export const x = Nope;',
          '```',
          '',
          '```ts',
          '// src/app.module.ts',
          'export const y: number = "two";',
          '```',
        ].join('\n'),
      },
    ]);
    assert.deepEqual(
      files.map((f) => [f.document, f.line, f.path]),
      [
        ['README.md', 3, 'src/app.module.ts'],
        ['README.md', 9, 'src/app.module.ts'],
      ],
    );
    assert.equal(setsOf(files).length, 2);
    const origins = new Map([
      ['doc-blocks/set-0/src/app.module.ts', files[0]],
      ['doc-blocks/set-1/src/app.module.ts', files[1]],
    ]);
    const output = [
      "doc-blocks/set-0/src/app.module.ts(2,10): error TS2305: Module '\"nest-smtp-settings\"' has no exported member 'Nope'.",
      "doc-blocks/set-1/src/app.module.ts(2,14): error TS2322: Type 'string' is not assignable to type 'number'.",
    ].join('\n');
    assert.equal(
      explainTscOutput(output, origins),
      [
        "README.md:5 src/app.module.ts(2,10): error TS2305: Module '\"nest-smtp-settings\"' has no exported member 'Nope'.",
        "README.md:11 src/app.module.ts(2,14): error TS2322: Type 'string' is not assignable to type 'number'.",
      ].join('\n'),
    );
    assert.deepEqual(
      fileBlocksOf([
        { name: 'docs/x.md', markdown: '```ts\nimport { a } from "b";\nexport { a };\n```\n' },
      ]).problems,
      [
        'docs/x.md:1: a whole file (it imports and exports) whose first line does not name it ' +
          '(such as "// src/app.module.ts"), so it is not compiled',
      ],
    );
  });
});

describe('nest-smtp-settings as an installed package', { concurrency: 1 }, () => {
  before(async () => {
    const t0 = performance.now();
    await sh('npm', ['run', 'build'], { cwd: ROOT });
    const { stdout } = await sh(
      'npm',
      ['pack', '--json', '--ignore-scripts', '--pack-destination', work],
      { cwd: ROOT },
    );
    const [packed] = JSON.parse(stdout);
    tarball = join(work, packed.filename);
    summary.pack = {
      filename: packed.filename,
      files: packed.files.length,
      size: packed.size,
      seconds: seconds(t0),
    };
    summary.packedFiles = packed.files.map((f) => f.path);
  });

  after(() => {
    summary.finishedAt = new Date().toISOString();
    mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
    writeFileSync(
      join(ROOT, 'test-artifacts', 'consumer.json'),
      `${JSON.stringify(summary, null, 2)}\n`,
    );
    for (const v of summary.variants) {
      console.log(
        `# ${v.name}: install ${v.installSeconds}s, tsc (app and docs) ${v.tscSeconds}s, ` +
          (v.docBlocks?.bootSeconds === undefined
            ? ''
            : `README app ${v.docBlocks.bootSeconds}s, `) +
          v.boots.map((b) => `boot+exercise on ${b.node} ${b.seconds}s`).join(', '),
      );
    }
    if (process.env.CONSUMER_KEEP) console.log(`# kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  });

  it('packs dist, CHANGELOG.md, README.md, LICENSE and package.json only, without source maps', () => {
    const files = summary.packedFiles;
    const outside = files.filter((f) => !f.startsWith('dist/')).sort();
    assert.deepEqual(outside, ['CHANGELOG.md', 'LICENSE', 'README.md', 'package.json']);
    assert.ok(files.includes('dist/index.js') && files.includes('dist/index.d.ts'));
    assert.deepEqual(
      files.filter((f) => f.endsWith('.map') || /spec|fixtures|sample-app/.test(f)),
      [],
    );
  });

  for (const variant of variants) {
    it(`installs, compiles strictly and serves in a fresh app: ${variant.description}`, async () => {
      const result = { name: variant.name, description: variant.description, boots: [] };
      summary.variants.push(result);
      const dir = join(work, variant.name);
      writeApp(dir, variant);

      let t = performance.now();
      await sh(
        'npm',
        ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'],
        { cwd: dir },
      );
      result.installSeconds = seconds(t);
      result.installed = installedVersions(dir, [
        ...Object.keys(variant.dependencies),
        ...Object.keys(variant.devDependencies),
        'nest-smtp-settings',
      ]);
      for (const name of OPTIONAL_PEERS) {
        assert.equal(isInstalled(dir, name), false, `${name} is optional but was installed`);
      }

      // The app and the documentation's whole files, compiled side by side.
      t = performance.now();
      const origins = writeDocBlocks(dir, docs.files, COMPILER_OPTIONS);
      const [app, documentation] = await Promise.allSettled([
        sh(process.execPath, [join('node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], {
          cwd: dir,
        }),
        compileDocBlocks(dir, origins, variant),
      ]);
      result.tscSeconds = seconds(t);
      result.docBlocks = { files: docs.files.length, sets: setsOf(docs.files).length };
      if (documentation.status === 'rejected') throw documentation.reason;
      if (app.status === 'rejected') throw app.reason;

      // The README's app as pasted (its main.ts creates an Express app).
      if (variant.adapter === 'express') {
        t = performance.now();
        await exerciseReadmeApp(dir);
        result.docBlocks.bootSeconds = seconds(t);
      }

      for (const node of nodes) {
        t = performance.now();
        await exercise(dir, node, variant);
        result.boots.push({ node: node.version, seconds: seconds(t) });
      }
    });
  }
});

/** Type-checks the documentation's whole files in the app; fails naming each block and tsc's error. */
async function compileDocBlocks(dir, origins, variant) {
  const tsc = join('node_modules', 'typescript', 'bin', 'tsc');
  try {
    await run(process.execPath, [tsc, '-p', DOC_BLOCKS_TSCONFIG, '--pretty', 'false'], {
      cwd: dir,
      env: cleanEnv(),
      maxBuffer: 64 * 1024 * 1024,
      timeout: 300_000,
    });
  } catch (error) {
    throw new assert.AssertionError({
      message:
        `The documentation's whole files do not compile in ${variant.name} ` +
        `(${variant.description}):\n${explainTscOutput(`${error.stdout ?? ''}${error.stderr ?? ''}`, origins)}`,
    });
  }
}

/**
 * Boots the README's app (its first version of every file: forRoot) from a fresh working directory:
 * its feature module gets MailerService, its guard gets SessionService, the key file appears where
 * the README says, and SIGTERM stops it through the shutdown hooks.
 */
async function exerciseReadmeApp(dir) {
  const cwd = mkdtempSync(join(dir, 'readme-app-'));
  const port = await freePort();
  const env = { ...cleanEnv(), PORT: String(port), ADMIN_TOKEN };
  delete env.SMTP_SETTINGS_KEY;
  const child = spawn(process.execPath, [join(dir, DOC_BLOCKS_OUT, 'set-0', 'src', 'main.js')], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = once(child, 'exit').then(([code, signal]) => ({ code, signal }));
  const output = () => `--- stdout\n${stdout}\n--- stderr\n${stderr}`;
  try {
    // Nest logs that it started before its server listens: then wait for the port to accept.
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not started in 30 s\n${output()}`)), 30_000);
      let done = false;
      void exited.then((exit) => {
        done = true;
        clearTimeout(timer);
        reject(new Error(`the README's app exited (${JSON.stringify(exit)})\n${output()}`));
      });
      const attempt = () => {
        if (done) return;
        const socket = connect(port, '127.0.0.1');
        socket.once('connect', () => {
          socket.destroy();
          done = true;
          clearTimeout(timer);
          resolve();
        });
        socket.once('error', () => setTimeout(attempt, 100));
      };
      attempt();
    });
    const url = `http://127.0.0.1:${port}/smtp-settings`;
    assert.equal((await fetch(url)).status, 403, output());
    const admin = await fetch(url, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    assert.equal(admin.status, 200, output());
    assert.equal((await admin.json()).source, 'relay');
    assert.ok(existsSync(join(cwd, '.data', 'smtp-settings.key')), 'no .data/smtp-settings.key');
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  }
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const exit = await exited;
  clearTimeout(timer);
  assert.equal(exit.code === 0 || exit.signal === 'SIGTERM', true, output());
  assert.doesNotMatch(
    stderr
      .split('\n')
      .filter((line) => !/ExperimentalWarning|--trace-warnings/.test(line))
      .join('\n'),
    /Error|UnhandledPromiseRejection/,
    output(),
  );
}

/** A port that nothing listens on now. */
async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Boots the compiled app under `node` and uses it as an admin and as the product's code would. */
async function exercise(dir, node, variant) {
  const smtp = await startSmtpServer();
  const app = await startApp(dir, node, smtp);
  try {
    const url = app.url;
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

    // The package's exports map: package.json is reachable, internals are not.
    const pkg = await sh(node.path, ['-p', "require('nest-smtp-settings/package.json').version"], {
      cwd: dir,
    });
    // The version the shipped CHANGELOG describes: its newest numbered heading (`## Unreleased`
    // above it is what comes after).
    const changelog = readFileSync(
      join(dir, 'node_modules', 'nest-smtp-settings', 'CHANGELOG.md'),
      'utf8',
    );
    assert.equal(pkg.stdout.trim(), /^## (\d+\.\d+\.\d+)\b/m.exec(changelog)?.[1]);
    assert.equal(pkg.stdout.trim(), JSON.parse(readFileSync(join(ROOT, 'package.json'))).version);
    assert.match(
      readFileSync(join(dir, 'node_modules', 'nest-smtp-settings', 'LICENSE'), 'utf8'),
      /^MIT License\n/,
    );
    await assert.rejects(
      sh(node.path, ['-e', "require('nest-smtp-settings/dist/index.js')"], { cwd: dir }),
      /ERR_PACKAGE_PATH_NOT_EXPORTED/,
    );

    assert.equal((await fetch(`${url}/smtp-settings`)).status, 401);

    const initial = await fetch(`${url}/smtp-settings`, { headers: admin });
    assert.equal(initial.status, 200);
    assert.equal(initial.headers.get('etag'), '"0"');
    assert.deepEqual(await initial.json(), {
      tenant: 'default',
      source: 'relay',
      version: 0,
      updatedAt: null,
      updatedBy: null,
      settings: null,
      warnings: [],
      backup: null,
      delivery: {
        canSend: true,
        reason: null,
        message: null,
        connection: 'main',
        failover: null,
        lastFailure: null,
        lastSuccessAt: null,
      },
    });

    // Before anything is saved, mail goes through the relay (the same test server here).
    const viaRelay = await postJson(`${url}/notify`, { to: 'first@example.com', subject: 'relay' });
    assert.equal(viaRelay.status, 201, await viaRelay.clone().text());
    assert.deepEqual(await viaRelay.json(), {
      route: 'relay',
      settingsVersion: 0,
      accepted: ['first@example.com'],
    });

    const settings = {
      type: 'basic',
      hostname: '127.0.0.1',
      port: smtp.port,
      username: SMTP_USER.username,
      password: SMTP_USER.password,
      senderEmail: 'noreply@example.com',
      senderName: 'Consumer App',
      useTls: false,
    };
    const invalid = await putJson(`${url}/smtp-settings`, { ...settings, port: 587 }, admin);
    assert.equal(invalid.status, 400);
    assert.deepEqual((await invalid.json()).errors, [
      { field: 'useTls', message: 'port 587 requires useTls to be on' },
    ]);

    const saved = await putJson(`${url}/smtp-settings`, settings, {
      ...admin,
      'if-match': '"0"',
    });
    assert.equal(saved.status, 200, await saved.clone().text());
    assert.equal(saved.headers.get('etag'), '"1"');
    const state = await saved.json();
    assert.equal(state.source, 'custom');
    assert.equal(state.settings.passwordSet, true);
    assert.equal(JSON.stringify(state).includes(SMTP_USER.password), false);

    const stale = await putJson(`${url}/smtp-settings`, settings, { ...admin, 'if-match': '"0"' });
    assert.equal(stale.status, 412);

    const current = await fetch(`${url}/smtp-settings`, { headers: admin });
    assert.equal(current.headers.get('etag'), '"1"');
    assert.equal((await current.json()).settings.hostname, '127.0.0.1');

    const sent = await postJson(`${url}/notify`, { to: 'second@example.com', subject: 'custom' });
    assert.equal(sent.status, 201, await sent.clone().text());
    assert.deepEqual(await sent.json(), {
      route: 'custom',
      settingsVersion: 1,
      accepted: ['second@example.com'],
    });

    await smtp.waitFor(2);
    const [relayed, custom] = smtp.messages;
    assert.equal(relayed.from, 'relay@example.com');
    assert.deepEqual(relayed.to, ['first@example.com']);
    assert.equal(custom.from, 'noreply@example.com');
    assert.deepEqual(custom.to, ['second@example.com']);
    assert.equal(custom.user, SMTP_USER.username);
    assert.match(custom.raw, /^From: Consumer App <noreply@example\.com>\r?$/m);
    assert.match(custom.raw, /^Subject: custom\r?$/m);
    assert.match(custom.raw, new RegExp(`^X-Consumer-Adapter: ${variant.adapter}\\r?$`, 'm'));
  } finally {
    await app.stop();
    await smtp.close();
  }
  assert.equal(app.exit.code === 0 || app.exit.signal === 'SIGTERM', true, app.output());
  assert.doesNotMatch(app.stderr(), /Error|UnhandledPromiseRejection/, app.output());
}

function postJson(url, body, headers = {}) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

function putJson(url, body, headers = {}) {
  return fetch(url, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

async function startApp(dir, node, smtp) {
  const dataDir = mkdtempSync(join(dir, 'data-'));
  const child = spawn(node.path, ['dist/main.js'], {
    cwd: dir,
    env: {
      ...cleanEnv(),
      ADMIN_TOKEN,
      SMTP_SETTINGS_FILE: join(dataDir, 'smtp-settings.json'),
      RELAY_URL: `smtp://${SMTP_USER.username}:${SMTP_USER.password}@127.0.0.1:${smtp.port}`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = once(child, 'exit').then(([code, signal]) => ({ code, signal }));
  const output = () => `--- stdout\n${stdout}\n--- stderr\n${stderr}`;
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no READY within 30 s\n${output()}`)), 30_000);
    const check = () => {
      const match = /CONSUMER_READY (\S+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(match[1].replace('[::1]', '127.0.0.1'));
      }
    };
    child.stdout.on('data', check);
    void exited.then((exit) => {
      clearTimeout(timer);
      reject(new Error(`the app exited (${JSON.stringify(exit)}) before READY\n${output()}`));
    });
  });
  const app = {
    url,
    exit: undefined,
    output,
    stderr: () =>
      // Node 20 announces require(esm) of Nest 12 once; that is expected, not an error.
      stderr
        .split('\n')
        .filter((line) => !/ExperimentalWarning|--trace-warnings/.test(line))
        .join('\n'),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      app.exit = await exited;
      clearTimeout(timer);
    },
  };
  return app;
}

/** A plaintext SMTP server on loopback that requires AUTH and records what it receives. */
async function startSmtpServer() {
  const messages = [];
  const waiters = [];
  const server = new SMTPServer({
    logger: false,
    disableReverseLookup: true,
    hideSTARTTLS: true,
    disabledCommands: ['STARTTLS'],
    authOptional: false,
    onAuth(auth, _session, callback) {
      const ok = auth.username === SMTP_USER.username && auth.password === SMTP_USER.password;
      callback(null, ok ? { user: auth.username } : {});
    },
    onData(stream, session, callback) {
      const chunks = [];
      stream.on('data', (chunk) => chunks.push(chunk));
      stream.on('end', () => {
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          user: session.user,
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        for (const waiter of waiters.splice(0)) waiter();
        callback();
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.server.address().port,
    messages,
    async waitFor(count) {
      const deadline = Date.now() + 10_000;
      while (messages.length < count) {
        assert.ok(Date.now() < deadline, `timed out waiting for ${count} message(s)`);
        await new Promise((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
    },
    close: () =>
      new Promise((resolve) => {
        for (const connection of server.connections) connection._socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Writes a starter-like Nest app that uses the package as a consumer would. */
function writeApp(dir, variant) {
  mkdirSync(join(dir, 'src'), { recursive: true });
  const manifest = {
    name: `consumer-${variant.name}`,
    version: '0.0.0',
    private: true,
    ...(variant.esm ? { type: 'module' } : {}),
    dependencies: {
      ...variant.dependencies,
      ...DOC_DEPENDENCIES,
      'nest-smtp-settings': `file:${tarball}`,
    },
    devDependencies: variant.devDependencies,
  };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const tsconfig = { compilerOptions: COMPILER_OPTIONS, include: ['src'] };
  writeFileSync(join(dir, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 2)}\n`);
  for (const [file, text] of Object.entries(appSources(variant))) {
    writeFileSync(join(dir, 'src', file), text);
  }
}

function appSources(variant) {
  const fastify = variant.adapter === 'fastify';
  return {
    'session.module.ts': `import { Injectable, Module } from '@nestjs/common';

/** The app's own session lookup, in a feature module: the guard below depends on it. */
@Injectable()
export class SessionService {
  isAdmin(header: string | undefined): boolean {
    return header === \`Bearer \${process.env.ADMIN_TOKEN}\`;
  }
}

@Module({ providers: [SessionService], exports: [SessionService] })
export class SessionModule {}
`,
    'admin.guard.ts': `import {
  ForbiddenException,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { SessionService } from './session.module.js';

@Injectable()
export class AdminGuard implements CanActivate {
  constructor(private readonly sessions: SessionService) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined>; user?: unknown }>();
    const header = req.headers['authorization'];
    if (!header) throw new UnauthorizedException('admin token required');
    if (!this.sessions.isAdmin(header)) throw new ForbiddenException('not an admin');
    req.user = { id: 'consumer-admin' };
    return true;
  }
}
`,
    'notify.controller.ts': `import { Body, Controller, Post } from '@nestjs/common';
import { MailerService, type SendResult } from 'nest-smtp-settings';

interface NotifyBody {
  to: string;
  subject: string;
}

/** The product's own code, sending through whatever the admin configured. */
@Controller('notify')
export class NotifyController {
  constructor(private readonly mailer: MailerService) {}

  @Post()
  async notify(@Body() body: NotifyBody): Promise<Pick<SendResult, 'route' | 'settingsVersion' | 'accepted'>> {
    const result: SendResult = await this.mailer.send({
      to: body.to,
      subject: body.subject,
      text: 'Hello from a consumer app',
      headers: { 'X-Consumer-Adapter': '${variant.adapter}' },
    });
    return { route: result.route, settingsVersion: result.settingsVersion, accepted: result.accepted };
  }
}
`,
    'notify.module.ts': `import { Module } from '@nestjs/common';
import { NotifyController } from './notify.controller.js';

/** A feature module of the product: MailerService comes from the global SmtpSettingsModule. */
@Module({ controllers: [NotifyController] })
export class NotifyModule {}
`,
    'app.module.ts': `import { Module } from '@nestjs/common';
import { SmtpSettingsModule, type SmtpSettingsModuleOptions } from 'nest-smtp-settings';
import { AdminGuard } from './admin.guard.js';
import { NotifyModule } from './notify.module.js';
import { SessionModule } from './session.module.js';

@Module({
  imports: [
    SessionModule,
    SmtpSettingsModule.forRootAsync({
      isGlobal: true,
      useFactory: (): SmtpSettingsModuleOptions => ({
        dataFile: process.env.SMTP_SETTINGS_FILE,
        guards: [AdminGuard],
        upgrades: [],
        relay: { transport: process.env.RELAY_URL!, from: 'relay@example.com' },
        retry: { attempts: 1 },
      }),
    }),
    NotifyModule,
  ],
})
export class AppModule {}
`,
    'main.ts': fastify
      ? `import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module.js';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter(), {
    logger: ['error', 'warn'],
  });
  app.enableShutdownHooks();
  await app.listen(0, '127.0.0.1');
  console.log(\`CONSUMER_READY \${await app.getUrl()}\`);
}
void bootstrap();
`
      : `import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
  app.enableShutdownHooks();
  await app.listen(0, '127.0.0.1');
  console.log(\`CONSUMER_READY \${await app.getUrl()}\`);
}
${variant.esm ? 'await bootstrap();' : 'void bootstrap();'}
`,
  };
}

/** This script's Node.js and, if it differs, the machine's own (CI has both). */
function findNodes() {
  const found = [{ path: process.execPath, version: process.version }];
  const seen = new Set([realpathSync(process.execPath)]);
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir || dir.includes('node_modules')) continue;
    const candidate = join(dir, 'node');
    let real;
    try {
      real = realpathSync(candidate);
    } catch {
      continue;
    }
    if (seen.has(real)) continue;
    seen.add(real);
    const version = readVersion(candidate);
    if (version && !found.some((n) => n.version === version) && supported(version)) {
      found.push({ path: candidate, version });
    }
  }
  return found;
}

function readVersion(node) {
  try {
    return execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

/** engines.node is ^20.19.0 || >=22.12.0: the versions that can require() Nest 12's ES modules. */
function supported(version) {
  const [major, minor] = version.slice(1).split('.').map(Number);
  return (major === 20 && minor >= 19) || (major === 22 && minor >= 12) || major > 22;
}

function installedVersions(dir, names) {
  return Object.fromEntries(
    names.map((name) => [
      name,
      JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8')).version,
    ]),
  );
}

function isInstalled(dir, name) {
  try {
    readFileSync(join(dir, 'node_modules', name, 'package.json'));
    return true;
  } catch {
    return false;
  }
}

/** The environment minus what `npm run` sets for this package, so that children act on their own folder. */
function cleanEnv() {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !/^npm_(package_|lifecycle_|config_local_prefix$)/.test(key) && key !== 'INIT_CWD',
    ),
  );
}

async function sh(command, args, { cwd }) {
  try {
    return await run(command, args, {
      cwd,
      env: cleanEnv(),
      maxBuffer: 64 * 1024 * 1024,
      timeout: 300_000,
    });
  } catch (error) {
    error.message += `\n$ ${command} ${args.join(' ')} (in ${cwd})\n${error.stdout ?? ''}\n${error.stderr ?? ''}`;
    throw error;
  }
}

function seconds(start) {
  return Math.round((performance.now() - start) / 100) / 10;
}
