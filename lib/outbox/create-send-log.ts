import type { ResolvedOutboxOptions } from './outbox-config';
import type { OutboxConnection } from './outbox-connection.interface';
import type { SendLog } from './send-log.interface';

/** The send log of the outbox's backend, on the outbox's connection. */
export function createSendLog(
  options: ResolvedOutboxOptions,
  connection: OutboxConnection,
): SendLog {
  void options;
  throw new Error(`The ${connection.backend} send log is not implemented yet`);
}
