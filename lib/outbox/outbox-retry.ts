import type { Queue } from 'bullmq';
import { NotRetryableError } from '../errors/not-retryable.error';
import { OutboxMessageNotFoundError } from '../errors/outbox-message-not-found.error';
import type { EnqueueResult, OutboxStatus } from '../interfaces/outbox.interface';
import type { OutboxEnqueueWriter } from './enqueue/outbox-enqueue-writer.interface';
import type { OutboxJobData } from './outbox-message';
import { isWaiting, requeue, settledState } from './outbox-requeue';
import { guardStore, guardWrite } from './outbox-store-guard';
import { isMessageId, MESSAGE_ID_MAX_LENGTH, timeOf } from './send-log/send-log-entries';
import type { SendLog } from './send-log/send-log.interface';

/** What a retry from the send log may move a message out of. */
export const RETRYABLE: readonly OutboxStatus[] = ['failed', 'uncertain', 'held'];

export interface RetryContext {
  log: SendLog;
  queue: Queue<OutboxJobData>;
  writer: OutboxEnqueueWriter;
  storeTimeoutMs: number;
}

/**
 * Queues a failed, uncertain or held message of `tenant` again. The log's status moves first, by
 * compare and set (the worker may take the job as soon as it is back): of two retries at once, or
 * a retry, a release and a worker, one wins, and the others answer `NotRetryableError` (409);
 * `sent` is never left. A job that moved on by itself meanwhile is on its way; one gone from the
 * queue puts the entry back and answers 409; the store's own errors are outages, never raw.
 */
export async function retryMessage(
  ctx: RetryContext,
  id: string,
  tenant: string,
): Promise<EnqueueResult> {
  const { log, queue, writer, storeTimeoutMs } = ctx;
  const entry = isMessageId(id) ? await log.get(tenant, id) : null;
  if (!entry) throw new OutboxMessageNotFoundError(String(id).slice(0, MESSAGE_ID_MAX_LENGTH));
  if (!RETRYABLE.includes(entry.status)) throw new NotRetryableError(id, entry.status);
  const lookUp = 'the message could not be looked up';
  const job = await guardStore(lookUp, () => queue.getJob(id), storeTimeoutMs);
  if (!job || job.data.tenant !== tenant) {
    throw new NotRetryableError(id, entry.status, 'its message is no longer kept');
  }
  const state = await guardStore(lookUp, () => settledState(job), storeTimeoutMs);
  const createdMs = timeOf(entry.createdAt, 'createdAt');
  const moved = await log.update(
    tenant,
    id,
    { status: 'queued', heldReason: null },
    { from: RETRYABLE, createdMs },
  );
  if (!moved.applied) throw new NotRetryableError(id, moved.entry?.status ?? entry.status);
  await guardWrite(
    id,
    'the message was not queued again',
    (error) => writer.provesNothingWritten(error),
    async () => {
      try {
        await requeue(job, state);
      } catch (error) {
        // Made due by a release and taken by a worker meanwhile: on its way, as the log says.
        if (await isWaiting(job)) return;
        const kept = await queue.getJob(id).then(Boolean, () => undefined);
        // Not moved: the entry goes back to what it said, unless something moved it since.
        await log.update(
          tenant,
          id,
          { status: entry.status, heldReason: entry.heldReason },
          { from: ['queued'], createdMs },
        );
        if (kept === false) {
          throw new NotRetryableError(id, entry.status, 'its message is no longer kept');
        }
        throw error;
      }
    },
    storeTimeoutMs,
  );
  return { id, status: 'queued' };
}
