/**
 * What the outbox benchmark needs besides the load: an app with the outbox on a backend, worker
 * processes, and the storage the queue's store uses.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { Pool } from 'pg';
import type { OutboxOptions } from '../../lib';
import { FAST_OUTBOX, outboxPlace, type OutboxPlace } from '../../test/fixtures/outbox-kit';
import { uniqueName } from '../../test/fixtures/postgres';
import { createBenchApp, pooledOptions, SENDER, THROUGHPUT_POOL, type BenchApp } from './setup';
import type { RemoteSink } from './sink-process';
import { uncounted } from './store-meter';

/** An outbox place of the benchmark's, with the name of its queue. */
export interface BenchPlace extends OutboxPlace {
  readonly queueName: string;
}

/**
 * A place for an outbox: a key prefix on the benchmark's own Redis (`redisUrl`), or a schema of the
 * test PostgreSQL; each with a queue name of its own, since PostgreSQL's job notifications name the
 * queue database-wide (another suite's `smtp-outbox` must not wake this benchmark's workers).
 */
export function benchPlace(backend: OutboxPlace['backend'], redisUrl: string): BenchPlace {
  const queueName = `bench_outbox_${randomBytes(4).toString('hex')}`;
  const place: OutboxPlace =
    backend === 'postgres' ? outboxPlace(backend, 'bench') : redisPlace(redisUrl);
  return {
    backend: place.backend,
    connection: place.connection,
    prefix: place.prefix,
    queueName,
    options: (extra = {}) => place.options({ queueName, ...extra }),
    drop: () => place.drop(),
  };
}

function redisPlace(url: string): OutboxPlace {
  const prefix = uniqueName('t_bench');
  return {
    backend: 'redis',
    connection: url,
    prefix,
    options: (extra = {}) => ({
      backend: 'redis',
      connection: url,
      prefix,
      ...FAST_OUTBOX,
      ...extra,
    }),
    async drop() {
      const redis = new Redis(url, { maxRetriesPerRequest: 1 });
      try {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
          cursor = next;
          if (keys.length > 0) await redis.unlink(...keys);
        } while (cursor !== '0');
      } finally {
        redis.disconnect();
      }
    },
  };
}

/** The relay to the sink, authenticated, with the throughput pool: no settings to save. */
export function relayTo(sink: RemoteSink) {
  return { transport: pooledOptions(sink, THROUGHPUT_POOL), from: SENDER };
}

/** An app whose messages go through the relay to `sink`, with the outbox in `place`. */
export function createOutboxApp(
  sink: RemoteSink,
  outbox: OutboxOptions,
  encryptionKey: string,
): Promise<BenchApp> {
  return createBenchApp({
    encryptionKey,
    relay: relayTo(sink),
    retry: { attempts: 1, baseDelayMs: 5 },
    outbox,
  });
}

/** Resolves once the sink has accepted `count` messages; rejects after `timeoutMs`. */
export async function sinkReaches(
  sink: RemoteSink,
  count: number,
  timeoutMs = 300_000,
  onProgress?: (accepted: number, at: number) => void,
): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const { accepted } = await sink.stats();
    const at = performance.now();
    onProgress?.(accepted, at);
    if (accepted >= count) return at;
    if (at > deadline) throw new Error(`the sink got ${accepted} of ${count} messages in time`);
    await sleep(10);
  }
}

/** A worker process: the module with the outbox's worker only (dist-bench/bench/lib/outbox-worker.js). */
export async function startWorkerProcess(config: {
  relay: ReturnType<typeof relayTo>;
  outbox: OutboxOptions;
  encryptionKey: string;
}): Promise<ChildProcess> {
  const child = fork(`${__dirname}/outbox-worker.js`, [JSON.stringify(config)], {
    execArgv: [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [message] = (await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`a worker process exited (${code}) before it was ready`);
    }),
  ])) as [unknown];
  if (message !== 'ready') throw new Error(`unexpected message from a worker: ${String(message)}`);
  return child;
}

export async function stopWorkerProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

/** Bytes the outbox keeps in its store: every key under the prefix, or every table of the schema. */
export interface StorageMeter {
  /** Total, and the part that is the queue (the rest is the send log and idempotency keys). */
  measure(queueName: string): Promise<{ total: number; queue: number }>;
  close(): Promise<void>;
}

export function storageMeter(place: OutboxPlace): StorageMeter {
  if (place.backend === 'redis') {
    const redis = uncounted(new Redis(place.connection, { maxRetriesPerRequest: 1 }));
    return {
      async measure(queueName) {
        let total = 0;
        let queue = 0;
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(
            cursor,
            'MATCH',
            `${place.prefix}:*`,
            'COUNT',
            1000,
          );
          cursor = next;
          const pipeline = redis.pipeline();
          for (const key of keys) pipeline.memory('USAGE', key, 'SAMPLES', 0);
          const results = (await pipeline.exec()) ?? [];
          keys.forEach((key, i) => {
            const bytes = Number(results[i]?.[1] ?? 0);
            total += bytes;
            if (key.startsWith(`${place.prefix}:${queueName}:`)) queue += bytes;
          });
        } while (cursor !== '0');
        return { total, queue };
      },
      close: async () => void redis.disconnect(),
    };
  }
  const pool = uncounted(new Pool({ connectionString: place.connection, max: 1 }));
  return {
    async measure() {
      // BullMQ keeps every queue of the schema in the same tables: the part that is not the send
      // log (tables named outbox_*) is the queue's.
      const { rows } = await pool.query<{ name: string; bytes: string }>(
        `SELECT c.relname AS name, pg_total_relation_size(c.oid) AS bytes
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND c.relkind = 'r'`,
        [place.prefix],
      );
      const total = rows.reduce((sum, row) => sum + Number(row.bytes), 0);
      const log = rows
        .filter((row) => row.name.startsWith('outbox_'))
        .reduce((sum, row) => sum + Number(row.bytes), 0);
      return { total, queue: total - log };
    },
    close: () => pool.end(),
  };
}
