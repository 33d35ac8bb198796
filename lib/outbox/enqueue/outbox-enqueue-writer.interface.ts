import type { JobsOptions } from 'bullmq';
import type { SendLogEntry } from '../../interfaces/outbox.interface';
import type { OutboxJobData } from '../outbox-message';

/**
 * Writes a message's send log entry and its job in one atomic step, or neither: a Redis
 * MULTI/EXEC, a single PostgreSQL statement. There is never an entry without its job.
 */
export interface OutboxEnqueueWriter {
  /** `exists`: the id was logged already (an idempotency key seen before): nothing was written. */
  write(
    entry: SendLogEntry,
    data: OutboxJobData,
    options: JobsOptions,
  ): Promise<'added' | 'exists'>;
  /**
   * Whether an error of `write` proves that nothing was written (the store refused it), rather
   * than leaving it open (the connection broke after the write was sent).
   */
  provesNothingWritten(error: unknown): boolean;
}
