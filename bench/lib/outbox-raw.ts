/**
 * BullMQ alone on the same store, for reference: `Queue.add` of a job the size of a bench message,
 * and a worker (same concurrency) that does nothing with it. What the outbox adds on top (the send
 * log, the Message-ID, the checks, the SMTP send) is the difference. The queue and its worker stay
 * open across rounds, so that they alternate with the outbox's.
 */
import { randomBytes } from 'node:crypto';
import { Queue, Worker, createPostgresBackend, withBackend, type ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';
import type { OutboxPlace } from '../../test/fixtures/outbox-kit';
import { runLoad, type LoadResult } from './load';
import { benchMessage } from './setup';
import { finishedJobs, untilFinished } from './store-meter';

export interface RawRate {
  addPerSec: number;
  processedPerSec: number;
  add: LoadResult;
}

export interface RawBullmq {
  /** `count` jobs added, `concurrency` at a time, while the worker takes them; resolves once every one is finished. */
  round(count: number, concurrency: number): Promise<RawRate>;
  close(): Promise<void>;
}

export async function openRawBullmq(place: OutboxPlace, concurrency: number): Promise<RawBullmq> {
  // Of its own: PostgreSQL's job notifications name the queue, database-wide.
  const name = `bench_raw_${randomBytes(4).toString('hex')}`;
  const redis =
    place.backend === 'redis'
      ? [new Redis(place.connection), new Redis(place.connection, { maxRetriesPerRequest: null })]
      : [];
  const classes = (
    place.backend === 'redis' ? { Queue, Worker } : withBackend(createPostgresBackend)
  ) as { Queue: typeof Queue; Worker: typeof Worker };
  const connection = (i: number) =>
    (place.backend === 'redis'
      ? redis[i]
      : {
          connectionString: place.connection,
          schema: place.prefix,
          migrate: true,
        }) as ConnectionOptions;
  const prefix = place.backend === 'redis' ? { prefix: place.prefix } : {};
  const queue = new classes.Queue(name, { connection: connection(0), ...prefix });
  const worker = new classes.Worker(name, async () => undefined, {
    connection: connection(1),
    concurrency,
    ...prefix,
  });
  await Promise.all([queue.waitUntilReady(), worker.waitUntilReady()]);
  return {
    async round(count, inFlight) {
      const target = finishedJobs(name) + count;
      const started = performance.now();
      const add = await runLoad({
        count,
        concurrency: inFlight,
        send: (i) =>
          queue.add('message', benchMessage(i), { removeOnComplete: true, removeOnFail: true }),
      });
      await untilFinished(name, target);
      return {
        addPerSec: add.msgsPerSec,
        processedPerSec: (count * 1000) / (performance.now() - started),
        add,
      };
    },
    async close() {
      await worker.close();
      await queue.close();
      for (const client of redis) client.disconnect();
    },
  };
}
