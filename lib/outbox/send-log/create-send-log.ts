import type { ResolvedOutboxOptions } from '../outbox-config';
import type { OutboxConnection } from '../outbox-connection.interface';
import { PostgresSendLog } from '../postgres/postgres-send-log';
import { RedisSendLog } from '../redis/redis-send-log';
import type { SendLog } from './send-log.interface';

/**
 * The send log of the outbox's backend, on the outbox's connection (which the log never closes):
 * keys under `<prefix>:log…` in Redis, the tables `<schema>.outbox_log*` and
 * `<schema>.outbox_share` and `<schema>.outbox_parked` in PostgreSQL.
 */
export function createSendLog(
  options: ResolvedOutboxOptions,
  connection: OutboxConnection,
): SendLog {
  const { logTtlMs, logMaxCount } = options.retention;
  return connection.backend === 'redis'
    ? new RedisSendLog({
        client: connection.redis,
        prefix: connection.prefix,
        logTtlMs,
        logMaxCount,
        jobKeyPrefix: `${connection.prefix}:${options.queueName}:`,
      })
    : new PostgresSendLog({
        pool: connection.pool,
        schema: connection.schema,
        logTtlMs,
        logMaxCount,
        queueName: options.queueName,
      });
}
