import type { Job } from 'bullmq';
import type { OutboxError, OutboxStatus } from '../../interfaces/outbox.interface';
import { outboxBackoff } from './outbox-backoff';
import type { OutboxJobData } from '../outbox-message';
import type { OutboxWorkerContext } from './outbox-worker';
import type { TenantGate } from './tenant-gates';

/** Every status a message still waiting may have when its job comes up. */
export const WAITING: readonly OutboxStatus[] = ['queued', 'held', 'sending'];

/**
 * How many rechecks a message behind a probe sleeps: it goes as soon as the probe does (released),
 * and wakes on its own only in case the probe was lost.
 */
const FOLLOWER_RECHECKS = 5;

/**
 * The tenant's mail waits behind its probe: this message is logged held with the gate's reason and
 * sleeps without an attempt (no sign-in, no connection) until the probe releases it.
 */
export async function waitBehind(
  ctx: OutboxWorkerContext,
  job: Job<OutboxJobData>,
  token: string | undefined,
  gate: TenantGate,
): Promise<never> {
  const { tenant, id, createdAt: createdMs } = job.data;
  const now = Date.now();
  if (gate.kind === 'retrying') return waitForRetry(ctx, job, token, gate, now);
  const expires = createdMs + ctx.config.holdWindowMs;
  if (now >= expires) return failHeldTooLong(ctx, job, gate.reason, WAITING);
  await ctx.log.update(
    tenant,
    id,
    { status: 'held', heldReason: gate.reason },
    { from: WAITING, createdMs },
  );
  const wake = gate.until + FOLLOWER_RECHECKS * ctx.config.holdRecheckMs;
  await job.moveToDelayed(Math.min(expires, wake), token);
  // Released while it was being logged held (a save opens the gate, then makes the held messages
  // due): it goes now rather than sleep until its wake.
  if (!ctx.gates.get(tenant)) await job.changeDelay(0).catch(() => undefined);
  throw new ctx.DelayedError();
}

/**
 * The attempt found the route closed (`held`: the configuration cannot send) or the provider asked
 * for a pause (`deferred`, until `until`): this message becomes the tenant's probe, tried again at
 * `until` or when the settings change; the tenant's other messages wait behind it.
 */
export async function closeGate(
  ctx: OutboxWorkerContext,
  job: Job<OutboxJobData>,
  token: string | undefined,
  gate: Omit<TenantGate, 'probe'>,
  error: OutboxError,
  version: number,
): Promise<never> {
  const { tenant, id, createdAt: createdMs } = job.data;
  const expires = createdMs + ctx.config.holdWindowMs;
  if (Date.now() >= expires) return failHeldTooLong(ctx, job, gate.reason, ['sending']);
  ctx.gates.close(tenant, { ...gate, probe: job.id ?? id });
  // Messages that waited behind a `retrying` probe look again now: held ones are logged so.
  const followers = ctx.gates.get(tenant)?.followers;
  if (followers?.size) await ctx.unpark([...followers]).catch(() => undefined);
  followers?.clear();
  await ctx.log.update(
    tenant,
    id,
    { status: 'held', heldReason: gate.reason, lastError: error },
    { from: ['sending'], createdMs },
  );
  ctx.transitions.held(tenant, gate.reason);
  await job.moveToDelayed(Math.min(expires, gate.until), token);
  // The tenant's parked messages come up now, to wait behind the probe as held, without attempts.
  await ctx.log
    .parkedIds(tenant)
    .then((ids) => ctx.unpark(ids))
    .catch(() => undefined);
  // Settings saved during the attempt released the held messages before this one was: it goes too.
  if ((await ctx.settingsVersion(tenant)) !== version) {
    ctx.gates.open(tenant);
    await job.changeDelay(0).catch(() => undefined);
  }
  throw new ctx.DelayedError();
}

/**
 * The tenant's server could not be reached or did not finish: this message stays `queued` with
 * the error and is tried again after its backoff, as the tenant's probe; the tenant's other
 * messages wait behind it without connecting (`retrying`), and go when it does.
 */
export async function retryBehind(
  ctx: OutboxWorkerContext,
  job: Job<OutboxJobData>,
  token: string | undefined,
  error: OutboxError,
  attempts: number,
): Promise<never> {
  const { tenant, id, createdAt: createdMs } = job.data;
  const delay = outboxBackoff(ctx.config)(attempts, 'outbox', undefined, job);
  const until = Date.now() + delay;
  const reason = `${error.message} (${error.code}): tried again by one message at a time`;
  ctx.gates.close(tenant, { kind: 'retrying', reason, until, probe: job.id ?? id, error });
  await ctx.log.update(
    tenant,
    id,
    { status: 'queued', lastError: error, heldReason: null },
    { from: ['sending'], createdMs },
  );
  await job.moveToDelayed(until, token);
  throw new ctx.DelayedError();
}

/**
 * Behind a `retrying` probe: no attempt, no write; the message sleeps until its probe goes (this
 * replica makes it due then) or, in case the probe was lost, until the probe's time has passed.
 * Past its retry window it fails with the probe's error, as it would have on its own.
 */
async function waitForRetry(
  ctx: OutboxWorkerContext,
  job: Job<OutboxJobData>,
  token: string | undefined,
  gate: TenantGate,
  now: number,
): Promise<never> {
  const { tenant, id, createdAt: createdMs, windowStart } = job.data;
  const windowEnd = windowStart + ctx.config.retryWindowMs;
  if (now >= windowEnd) {
    const error = gate.error!;
    const { entry, applied } = await ctx.log.update(
      tenant,
      id,
      {
        status: 'failed',
        lastError: { ...error, at: new Date(now).toISOString() },
        heldReason: null,
      },
      { from: WAITING, createdMs },
    );
    if (entry && applied) ctx.transitions.failed(entry, error);
    throw new ctx.UnrecoverableError(error.message);
  }
  (gate.followers ??= new Set()).add(job.id ?? id);
  await job.moveToDelayed(Math.min(windowEnd, ctx.gates.wakeOf(gate)), token);
  // The probe went while this message was moving (its followers were made due before it slept).
  if (!ctx.gates.get(tenant)) await job.changeDelay(0).catch(() => undefined);
  throw new ctx.DelayedError();
}

/** Why a deferred tenant waits, and until when: the provider's words and the time it gave. */
export function deferredReason(error: OutboxError, until: number): string {
  return `${error.message} (${error.code}): the provider asked to wait; sending resumes after ${new Date(until).toISOString()}`;
}

/** Held longer than `holdWindowMs`: it fails with the reason it waited for, and an alert. */
async function failHeldTooLong(
  ctx: OutboxWorkerContext,
  job: Job<OutboxJobData>,
  reason: string,
  from: readonly OutboxStatus[],
): Promise<never> {
  const { tenant, id, createdAt: createdMs } = job.data;
  const error: OutboxError = {
    code: 'HELD_TOO_LONG',
    message: `held for longer than outbox.holdWindowMs (${ctx.config.holdWindowMs} ms): ${reason}`,
    at: new Date().toISOString(),
  };
  const { entry, applied } = await ctx.log.update(
    tenant,
    id,
    { status: 'failed', lastError: error, heldReason: null },
    { from, createdMs },
  );
  if (entry && applied) ctx.transitions.failed(entry, error);
  throw new ctx.UnrecoverableError(error.message);
}
