import type { ResolvedOutboxOptions } from '../outbox-config';
import type { OutboxConnection } from '../outbox-connection.interface';
import { PostgresRateLimiter } from '../postgres/postgres-rate-limiter';
import { RedisRateLimiter } from '../redis/redis-rate-limiter';
import type { SharedRateLimiter } from './shared-rate-limiter.interface';

/**
 * The rate limiter shared by every replica, in the outbox's backend, on the outbox's connection
 * (which the limiter never closes): keys under `<prefix>:ratelimit:` in Redis, the table
 * `<schema>.outbox_rate_limit` in PostgreSQL.
 */
export function createSharedRateLimiter(
  options: ResolvedOutboxOptions,
  connection: OutboxConnection,
): SharedRateLimiter {
  void options;
  return connection.backend === 'redis'
    ? new RedisRateLimiter({ client: connection.redis, prefix: connection.prefix })
    : new PostgresRateLimiter({ pool: connection.pool, schema: connection.schema });
}
