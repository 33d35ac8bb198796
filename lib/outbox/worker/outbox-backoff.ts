import type { ResolvedOutboxOptions } from '../outbox-config';
import type { OutboxJobData } from '../outbox-message';

/**
 * BullMQ's custom backoff: the base delay doubling with each attempt, up to the most, with up to
 * 20 % jitter so that replicas do not retry in lockstep; never past the end of the retry window,
 * so that the last attempt falls on it.
 */
export function outboxBackoff(config: ResolvedOutboxOptions) {
  return (attemptsMade: number, _type?: string, error?: Error, job?: { data?: unknown }) => {
    const { baseDelayMs, maxDelayMs } = config.backoff;
    const exponential = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, attemptsMade - 1));
    // A server that said how long to wait (Microsoft Graph's Retry-After) is waited for.
    const asked = (error as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
    const floor = typeof asked === 'number' && asked > 0 ? asked : 0;
    const delay = Math.max(floor, Math.round(exponential * (1 + Math.random() * 0.2)));
    const windowStart = (job?.data as Partial<OutboxJobData> | undefined)?.windowStart;
    if (typeof windowStart !== 'number') return delay;
    return Math.max(0, Math.min(delay, windowStart + config.retryWindowMs - Date.now()));
  };
}
