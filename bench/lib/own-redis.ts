/**
 * A Redis of the benchmark's own: `redis-server` (from PATH) on a free loopback port, with the
 * durability the outbox's promise needs (`appendonly yes`, `appendfsync everysec`), no RDB
 * snapshots, and its files in a temporary directory that goes with it. Nothing else talks to it,
 * so `INFO commandstats` counts the benchmark's commands only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

export interface OwnRedis {
  readonly url: string;
  /** `redis_version` from INFO. */
  readonly version: string;
  stop(): Promise<void>;
}

export async function startOwnRedis(): Promise<OwnRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-redis-'));
  // Another process may take the port between the probe and Redis's bind: then try another.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const settings = {
      port: String(port),
      bind: '127.0.0.1',
      dir,
      appendonly: 'yes',
      appendfsync: 'everysec',
      save: '',
      'maxmemory-policy': 'noeviction',
      logfile: join(dir, 'redis.log'),
    };
    const args = Object.entries(settings).flatMap(([name, value]) => [`--${name}`, value]);
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    const stop = stopper(child, dir);
    // A crash of the benchmark must not leave the server or its files behind.
    const onExit = () => {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    };
    process.once('exit', onExit);
    const url = `redis://127.0.0.1:${port}`;
    const version = await readyOn(url, child).catch(async (error: unknown) => {
      await stop(attempt >= 3);
      if (attempt >= 3) throw error;
      return undefined;
    });
    if (version === undefined) {
      process.removeListener('exit', onExit);
      continue;
    }
    return {
      url,
      version,
      stop: async () => {
        await stop(true);
        process.removeListener('exit', onExit);
      },
    };
  }
}

/** Resolves with the server's version once it answers; rejects if it exits or stays silent. */
async function readyOn(url: string, child: ChildProcess): Promise<string> {
  const deadline = Date.now() + 10_000;
  let exited = false;
  child.once('exit', () => (exited = true));
  for (;;) {
    if (exited) throw new Error(`redis-server exited before it answered on ${url}`);
    const probe = new Redis(url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
    } catch (error) {
      probe.disconnect();
      if (Date.now() > deadline) throw error;
      await sleep(50);
      continue;
    }
    try {
      const info = await probe.info('server');
      await expectConfig(probe, { appendonly: 'yes', appendfsync: 'everysec', save: '' });
      return /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
    } finally {
      probe.disconnect();
    }
  }
}

/** The durability the figures are for, as the server reports it. */
async function expectConfig(redis: Redis, expected: Record<string, string>): Promise<void> {
  for (const [name, value] of Object.entries(expected)) {
    const [, actual] = (await redis.config('GET', name)) as [string, string];
    if (actual !== value) throw new Error(`redis-server ${name} is '${actual}', not '${value}'`);
  }
}

function stopper(child: ChildProcess, dir: string): (removeDir: boolean) => Promise<void> {
  return async (removeDir) => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }
    if (removeDir) rmSync(dir, { recursive: true, force: true });
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no free port')),
      );
    });
  });
}
