/**
 * BullMQ alone on the same store, for reference: `Queue.add` of a job the size of a bench message,
 * and a worker (same concurrency) that does nothing with it. What the outbox adds on top (the send
 * log, the Message-ID, the checks, the SMTP send) is the difference.
 */
import { Queue, Worker, createPostgresBackend, withBackend, type ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { TEST_REDIS_URL, type OutboxPlace } from '../../test/fixtures/outbox-kit';
import { TEST_DATABASE_URL } from '../../test/fixtures/postgres';
import { runLoad } from './load';
import { benchMessage } from './setup';

export interface RawRate {
  addPerSec: number;
  processedPerSec: number;
}

export async function rawBullmq(
  place: OutboxPlace,
  count: number,
  concurrency: number,
): Promise<RawRate> {
  const name = 'bench-raw';
  const redis =
    place.backend === 'redis'
      ? [new Redis(TEST_REDIS_URL), new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null })]
      : [];
  const classes = (
    place.backend === 'redis' ? { Queue, Worker } : withBackend(createPostgresBackend)
  ) as { Queue: typeof Queue; Worker: typeof Worker };
  const connection = (i: number) =>
    (place.backend === 'redis'
      ? redis[i]
      : {
          connectionString: TEST_DATABASE_URL,
          schema: place.prefix,
          migrate: true,
        }) as ConnectionOptions;
  const prefix = place.backend === 'redis' ? { prefix: place.prefix } : {};
  const queue = new classes.Queue(name, { connection: connection(0), ...prefix });
  let processed = 0;
  let allDone!: () => void;
  const done = new Promise<void>((resolve) => (allDone = resolve));
  const worker = new classes.Worker(name, async () => void (++processed === count && allDone()), {
    connection: connection(1),
    concurrency,
    ...prefix,
  });
  try {
    await worker.waitUntilReady();
    const started = performance.now();
    const added = await runLoad({
      count,
      concurrency,
      send: (i) =>
        queue.add('message', benchMessage(i), { removeOnComplete: true, removeOnFail: true }),
    });
    await done;
    return {
      addPerSec: added.msgsPerSec,
      processedPerSec: (count * 1000) / (performance.now() - started),
    };
  } finally {
    await worker.close();
    await queue.close();
    for (const client of redis) client.disconnect();
  }
}
