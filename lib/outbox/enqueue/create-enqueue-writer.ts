import type { OutboxBackendHandle } from '../outbox-backend';
import type { OutboxEnqueueWriter } from './outbox-enqueue-writer.interface';
import { PostgresSendLog } from '../postgres/postgres-send-log';
import { postgresEnqueueWriter } from '../postgres/postgres-enqueue-writer';
import { redisEnqueueWriter } from '../redis/redis-enqueue-writer';
import type { SendLog } from '../send-log/send-log.interface';

/** The enqueue's one atomic write on the outbox's backend, beside the send log it writes into. */
export function createEnqueueWriter(
  backend: OutboxBackendHandle,
  log: SendLog,
): OutboxEnqueueWriter {
  const connection = backend.connection;
  if (connection.backend === 'redis') return redisEnqueueWriter(backend, connection.prefix);
  const tables = log instanceof PostgresSendLog ? () => log.init() : () => Promise.resolve();
  return postgresEnqueueWriter(backend, connection.schema, tables);
}
