import type { BackoffStrategy, Processor, Queue, Worker } from 'bullmq';
import type { Redis, RedisOptions } from 'ioredis';
import { requireOptional } from '../internal/optional-require';
import { endPool, type PostgresPool } from '../postgres/postgres-pool';
import type { ResolvedOutboxOptions } from './outbox-config';
import type { OutboxConnection } from './outbox-connection.interface';
import type { OutboxJobData } from './outbox-message';
import { BATCHED_SEND_LOG_COMMANDS } from './redis/redis-send-log.commands';

type Bullmq = typeof import('bullmq');

/** The outbox's queue, the factory of its worker and its connection, on either backend. */
export interface OutboxBackendHandle {
  readonly bullmq: Bullmq;
  readonly queue: Queue<OutboxJobData>;
  readonly connection: OutboxConnection;
  createWorker(
    processor: Processor<OutboxJobData>,
    options: { concurrency: number; backoff: BackoffStrategy },
  ): Worker<OutboxJobData>;
  /** Closes the queue and what the outbox opened itself; never an app's `pg.Pool`. */
  close(): Promise<void>;
}

const NEEDED_FOR = 'The outbox option of SmtpSettingsModule';

/**
 * Worker options beyond BullMQ's defaults: back at work within a second once the store returns
 * after an outage (not 15 s), and a message whose worker died mid-send is tried again however
 * often that happens (BullMQ's default fails it at the second stall: a message lost).
 */
const WORKER_DEFAULTS = { runRetryDelay: 1000, maxStalledCount: 1000 };
/** The most connections a PostgreSQL worker's pool opens (unless the app's config names a size). */
const WORKER_POOL_MAX = 10;

/** BullMQ's `telemetry` option (bullmq-otel) when the app gave one, for the queue and the worker. */
function telemetryOf(options: ResolvedOutboxOptions): { telemetry?: never } {
  return options.telemetry ? { telemetry: options.telemetry as never } : {};
}

/** Loads bullmq (and ioredis or pg as the backend needs) and opens the queue. */
export function openOutboxBackend(options: ResolvedOutboxOptions): OutboxBackendHandle {
  const bullmq = requireOptional<Bullmq>('bullmq', NEEDED_FOR);
  return options.backend === 'redis' ? openRedis(bullmq, options) : openPostgres(bullmq, options);
}

function openRedis(bullmq: Bullmq, options: ResolvedOutboxOptions): OutboxBackendHandle {
  const IORedis = requireOptional<typeof import('ioredis')>('ioredis', NEEDED_FOR).default;
  const open = (extra: RedisOptions): Redis =>
    typeof options.connection === 'string'
      ? new IORedis(options.connection, extra)
      : new IORedis({ ...(options.connection as RedisOptions), ...extra });
  // The producer side fails fast while Redis is down: enqueue rejects, it never waits or drops.
  // Its commands of one tick go in one write (auto-pipelining). Not the send log's updates: they
  // are gathered per tick already (one script call for all of them), and an auto-pipeline is a
  // new ioredis Pipeline, which copies every script defined on the client (BullMQ's 60-odd): 30 to
  // 90 µs of CPU each (Node.js 24, 20), against about 2 on a client without scripts.
  const client = open({
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    lazyConnect: false,
    enableAutoPipelining: true,
    autoPipeliningIgnoredCommands: [...BATCHED_SEND_LOG_COMMANDS],
  });
  client.on('error', () => undefined);
  let workerClient: Redis | undefined;
  const queue = new bullmq.Queue<OutboxJobData>(options.queueName, {
    connection: client,
    prefix: options.prefix,
    ...telemetryOf(options),
  });
  queue.on('error', () => undefined);
  return {
    bullmq,
    queue,
    connection: { backend: 'redis', prefix: options.prefix, redis: client },
    createWorker(processor, { concurrency, backoff }) {
      // Workers block on Redis and wait out an outage: BullMQ requires no retry limit on theirs.
      workerClient ??= open({ maxRetriesPerRequest: null });
      workerClient.on('error', () => undefined);
      return new bullmq.Worker<OutboxJobData>(options.queueName, processor, {
        connection: workerClient,
        prefix: options.prefix,
        concurrency,
        ...WORKER_DEFAULTS,
        ...telemetryOf(options),
        settings: { backoffStrategy: backoff },
      });
    },
    async close() {
      await queue.close().catch(() => undefined);
      for (const redis of [client, workerClient]) {
        if (redis && redis.status !== 'end') await redis.quit().catch(() => redis.disconnect());
      }
    },
  };
}

function openPostgres(bullmq: Bullmq, options: ResolvedOutboxOptions): OutboxBackendHandle {
  const given = isPool(options.connection) ? options.connection : null;
  // BullMQ reads the schema from a config object only: a given pool lends its config (BullMQ then
  // opens pools of its own, which it closes), and the send log uses the pool itself.
  const config = {
    ...optionsOutOfUrl(
      given
        ? (given.options as object)
        : typeof options.connection === 'string'
          ? { connectionString: options.connection }
          : (options.connection as object),
    ),
    schema: options.prefix,
    // The queue's tables are created (or brought up to date) under BullMQ's advisory lock.
    migrate: true,
  };
  // Each BullMQ class opens a pool of its own: sized for what it does (pg's default of 10 each
  // adds up across replicas), unless the app's config names a size.
  const userMax = (config as { max?: unknown }).max;
  const sized = (max: number) => ({ ...config, max: typeof userMax === 'number' ? userMax : max });
  const pg = requireOptional<typeof import('pg')>('pg', NEEDED_FOR);
  const { schema: _schema, migrate: _migrate, ...poolConfig } = sized(4);
  void _schema;
  void _migrate;
  const pool: PostgresPool = given ?? (new pg.Pool(poolConfig) as unknown as PostgresPool);
  if (!given) pool.on('error', () => undefined);
  const { Queue, Worker } = bullmq.withBackend(bullmq.createPostgresBackend);
  const queue = new Queue<OutboxJobData>(options.queueName, {
    connection: sized(4),
    ...telemetryOf(options),
  });
  queue.on('error', () => undefined);
  return {
    bullmq,
    queue: queue as unknown as Queue<OutboxJobData>,
    connection: { backend: 'postgres', schema: options.prefix, pool },
    createWorker(processor, { concurrency, backoff }) {
      const worker = new Worker<OutboxJobData>(options.queueName, processor as never, {
        // Its slots' statements are short and wait their turn for a connection: a pool as large
        // as a concurrency of 50 took 52 of PostgreSQL's default 100 per replica, and two replicas
        // left the send log's writes refused ("too many clients").
        connection: sized(Math.min(concurrency + 2, WORKER_POOL_MAX)),
        concurrency,
        ...WORKER_DEFAULTS,
        ...telemetryOf(options),
        settings: { backoffStrategy: backoff },
      });
      return worker as unknown as Worker<OutboxJobData>;
    },
    async close() {
      await queue.close().catch(() => undefined);
      if (!given) await endPool(pool);
    },
  };
}

/**
 * pg lets the `options` of a connection string (`?options=-c search_path=app`) win over the config's
 * `options`, where BullMQ appends its schema's search_path: moved out of the URL into `options`, the
 * URL's settings still apply and BullMQ's search_path comes last, so its functions are found.
 */
function optionsOutOfUrl(config: object): object {
  const { connectionString, options } = config as { connectionString?: unknown; options?: unknown };
  if (typeof connectionString !== 'string') return config;
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    return config;
  }
  const fromUrl = url.searchParams.get('options');
  if (fromUrl === null) return config;
  url.searchParams.delete('options');
  const merged = [fromUrl, typeof options === 'string' ? options : ''].filter(Boolean).join(' ');
  return { ...config, connectionString: url.toString(), options: merged };
}

/** A `pg.Pool` (or a pool like it): the app's own, never closed here. */
function isPool(connection: string | object): connection is PostgresPool {
  return (
    typeof connection === 'object' &&
    typeof (connection as Partial<PostgresPool>).connect === 'function' &&
    typeof (connection as Partial<PostgresPool>).query === 'function'
  );
}
