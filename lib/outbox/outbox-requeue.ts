import type { Job, Queue } from 'bullmq';
import type { OutboxJobData } from './outbox-message';
import type { SendLog } from './send-log/send-log.interface';

/**
 * The job's state once its worker is done with it: the send log has the outcome a moment before
 * BullMQ has moved the job out of `active`.
 */
export async function settledState(job: Job<OutboxJobData>): Promise<string> {
  let state = await job.getState();
  for (let i = 0; state === 'active' && i < 50; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    state = await job.getState();
  }
  return state;
}

/**
 * Puts a failed job back in the queue with a new retry window, or makes a delayed (held) one due
 * now. A changed delay rather than a promote: BullMQ's PostgreSQL promote does not lock the job,
 * so two replicas releasing it at once could make a job already taken waiting again and send it
 * twice; a changed delay is harmless to a job already taken.
 */
export async function requeue(job: Job<OutboxJobData>, state: string): Promise<void> {
  if (state === 'failed') {
    await job.updateData({ ...job.data, windowStart: Date.now() });
    await job.retry('failed', { resetAttemptsMade: true });
  } else if (state === 'delayed') {
    await job.changeDelay(0);
  }
}

/** Whether the job is still in the queue, due or not, or being delivered. */
export async function isWaiting(job: Job<OutboxJobData>): Promise<boolean> {
  const state = await job.getState().catch(() => 'unknown');
  return ['waiting', 'delayed', 'prioritized', 'active', 'waiting-children'].includes(state);
}

/**
 * Makes the tenant's held messages due now; how many were. The log says held until a worker takes
 * each (a status written here could land after the worker's `sent`).
 */
export async function releaseHeld(
  log: SendLog,
  queue: Queue<OutboxJobData>,
  tenant: string,
  alsoDue: readonly string[] = [],
): Promise<number> {
  // Parked at the share as the gate closed, a message would sleep out its fallback: it goes too.
  await makeDue(queue, [...alsoDue, ...(await log.parkedIds(tenant))]);
  let released = 0;
  for (const id of await log.heldIds(tenant)) {
    const job = await queue.getJob(id);
    if (!job || job.data.tenant !== tenant || !(await job.isDelayed())) continue;
    // A changed delay, not a promote: see requeue.
    await job.changeDelay(0).then(
      () => released++,
      () => undefined,
    );
  }
  return released;
}

/** Makes these delayed jobs due now (parked messages given a place); others are left alone. */
export async function makeDue(queue: Queue<OutboxJobData>, ids: readonly string[]): Promise<void> {
  for (const id of ids) {
    const job = await queue.getJob(id);
    if (job && (await job.isDelayed())) await job.changeDelay(0).catch(() => undefined);
  }
}

/** How often each replica looks for parked messages whose unparking was lost. */
export const PARK_SWEEP_MS = 5_000;

/**
 * Makes due the parked messages whose unparking was lost (see SendLog.unparkStranded). A store
 * that cannot be reached leaves them to the next sweep: the worker already says it is down.
 */
export async function unparkStranded(
  log: SendLog,
  queue: Queue<OutboxJobData>,
  share: number,
): Promise<void> {
  const ids = await log.unparkStranded?.(share).catch(() => []);
  if (ids?.length) await makeDue(queue, ids);
}
