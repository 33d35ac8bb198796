import type { Job } from 'bullmq';
import type { OutboxJobData } from './outbox-message';

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
