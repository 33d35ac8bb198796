import type { Redis } from 'ioredis';
import type { OutboxBackend } from '../options/outbox-options.interface';
import type { PostgresPool } from '../postgres/postgres-pool';

/**
 * The outbox's own connection to its store, which the send log and the shared rate limiter use
 * beside the queue. The outbox opened it (or the app passed it) and closes what it opened: the send
 * log and the limiter never close it.
 */
export type OutboxConnection =
  | {
      backend: Extract<OutboxBackend, 'redis'>;
      /** The BullMQ key prefix: keep every key under `<prefix>:`. */
      prefix: string;
      /** Fails fast while Redis is down (no offline queue), so an outage is an error, not a wait. */
      redis: Redis;
    }
  | {
      backend: Extract<OutboxBackend, 'postgres'>;
      /** The schema of the queue's tables: keep the log's and the limiter's tables in it too. */
      schema: string;
      pool: PostgresPool;
    };
