import { Queue, createPostgresBackend, withBackend } from 'bullmq';
import IORedis from 'ioredis';
import { OUTBOX_QUEUE, type SampleOutboxConfig } from '../outbox/outbox.config';

/** A BullMQ handle on the outbox's queue, and how to let it go. */
export interface BoardQueue {
  queue: Queue;
  close(): Promise<void>;
}

/**
 * A queue handle of the board's own, on the outbox's store: the library keeps its queue private,
 * and the same name and prefix (or schema) reach the same jobs.
 */
export function openBoardQueue(outbox: SampleOutboxConfig): BoardQueue {
  if (outbox.backend === 'redis') {
    const redis = new IORedis(outbox.url, { maxRetriesPerRequest: 1 });
    redis.on('error', () => undefined);
    const queue = new Queue(OUTBOX_QUEUE, { connection: redis, prefix: outbox.prefix });
    queue.on('error', () => undefined);
    return {
      queue,
      async close() {
        await queue.close().catch(() => undefined);
        await redis.quit().catch(() => redis.disconnect());
      },
    };
  }
  const { Queue: PostgresQueue } = withBackend(createPostgresBackend);
  const queue = new PostgresQueue(OUTBOX_QUEUE, {
    connection: { ...postgresConfig(outbox.url), schema: outbox.prefix, max: 2 },
  });
  queue.on('error', () => undefined);
  return { queue: queue as unknown as Queue, close: () => queue.close().catch(() => undefined) };
}

/**
 * The URL's `options` (such as `-c search_path=app`) moved into the config, where BullMQ appends
 * its schema's search path after them (in the URL they would win, and BullMQ's functions would not
 * be found): as the library does for its own queue.
 */
function postgresConfig(url: string): { connectionString: string; options?: string } {
  const parsed = new URL(url);
  const options = parsed.searchParams.get('options');
  if (options === null) return { connectionString: url };
  parsed.searchParams.delete('options');
  return { connectionString: parsed.toString(), options };
}
