import type { Job } from 'bullmq';
import type { SendResult } from '../../interfaces/send-result.interface';
import { classifyFailure, heldReason, routeDown, serverAnswered } from './delivery-outcome';
import type { ResolvedOutboxOptions } from '../outbox-config';
import type { OutboxJobData } from '../outbox-message';
import { closeGate, deferredReason, retryBehind, waitBehind } from './outbox-waits';
import type { OutboxWorkerContext } from './outbox-worker';
import type { ProvenTenants } from './proven-tenants';
import { untilWritten } from './until-written';
import type { RouteRateLimit } from '../rate-limit/route-rate-limit';
import type { SendLog } from '../send-log/send-log.interface';

/** A parked message whose unparking was lost (its unparker stopped) comes due after this. */
const parkFallbackMs = (config: ResolvedOutboxOptions) => 2 * config.attemptTimeoutMs + 5_000;

/** The attempt of a message that `began` (or found parked, or done). */
export async function attempt(
  ctx: OutboxWorkerContext,
  job: Job<OutboxJobData>,
  token: string | undefined,
  { began, limit, version, proven }: Attempt,
): Promise<void> {
  const data = job.data;
  const { tenant, id } = data;
  if (began.parked) return park(ctx, job, token, limit);
  // Without an entry (none is written without its job) the message still goes: never dropped.
  if (!began.applied && began.entry) return settle(ctx, limit);
  // A probe failed while this message was being admitted (its place freed as it closed the
  // gate): it waits behind that probe rather than ask the refusing server once more, and gives
  // its place back (held, it is logged so; behind a `retrying` probe, queued again).
  const closed = ctx.gates.waitFor(tenant, job.id ?? id, Date.now());
  if (closed) {
    await settle(ctx, limit);
    if (closed.kind === 'retrying') {
      const back = { from: ['sending'] as const, createdMs: data.createdAt };
      await ctx.log.update(tenant, id, { status: 'queued' }, back);
    }
    return waitBehind(ctx, job, token, closed);
  }
  let result: SendResult;
  try {
    result = await ctx.deliver(data);
  } catch (error) {
    await settle(ctx, limit);
    // A refused recipient, say: the server answers, it is no server that stalls.
    if (serverAnswered(error) && proven.prove(tenant, version)) await unparkShare(ctx, tenant);
    return afterFailure(ctx, job, token, error, version, began.entry?.attempts ?? 1);
  }
  await settle(ctx, limit);
  const sent = () =>
    ctx.log.update(
      tenant,
      id,
      {
        status: 'sent',
        route: result.route,
        settingsVersion: result.settingsVersion,
        // In the same write as `sent`: which connection took it costs the store nothing more.
        connection: result.route === 'custom' ? (result.connection ?? 'main') : null,
        response: result.response ?? null,
        heldReason: null,
      },
      // Written without a read while the entry is as the begin left it.
      { from: ['sending'], createdMs: data.createdAt, lastWrite: began },
    );
  await untilWritten(sent, ctx.stopped);
  ctx.transitions.sent(tenant);
  if (proven.prove(tenant, version)) await unparkShare(ctx, tenant);
  // The probe went: the messages that waited behind it go too.
  const opened = ctx.gates.open(tenant);
  if (opened?.followers?.size) await ctx.unpark([...opened.followers]).catch(() => undefined);
  if (opened) await ctx.release(tenant).catch(() => undefined);
}

export interface Attempt {
  began: Awaited<ReturnType<SendLog['update']>>;
  limit: RouteRateLimit | null;
  version: number;
  proven: ProvenTenants;
}

/**
 * The tenant is at its share: the message sleeps, taking no slot, until an attempt of its tenant
 * ends and unparks it. Unparked between the decision and the move (its unparker found it still
 * active), it goes at once.
 */
async function park(
  ctx: OutboxWorkerContext,
  job: Job<OutboxJobData>,
  token: string | undefined,
  limit: RouteRateLimit | null,
): Promise<never> {
  // The rate-limit slot taken for this attempt counts as used: parking is rare beside a limit.
  await settle(ctx, limit);
  await job.moveToDelayed(Date.now() + parkFallbackMs(ctx.config), token);
  // Unparked meanwhile, or its tenant's probe failed meanwhile (no attempt of the tenant will end
  // to unpark it): it comes up now, to go or to wait behind the probe.
  const { tenant, id } = job.data;
  if (ctx.gates.get(tenant) || !(await ctx.log.isParked(tenant, id))) {
    await job.changeDelay(0).catch(() => undefined);
  }
  throw new ctx.DelayedError();
}

/** Just proven: the places of its share beyond the first go to messages parked meanwhile. */
async function unparkShare(ctx: OutboxWorkerContext, tenant: string): Promise<void> {
  const more = ctx.config.tenantConcurrency - 1;
  if (more < 1) return;
  const parked = await ctx.log.parkedIds(tenant).catch(() => []);
  await ctx.unpark(parked.slice(0, more)).catch(() => undefined);
}

/**
 * The attempt is over: its slot of the shared limit counts from now, when the server has the
 * message, not from when the attempt began (a first connection's TLS and token take a while, and
 * the server counts what it receives). A limiter that cannot be reached costs nothing more here.
 */
export async function settle(
  ctx: OutboxWorkerContext,
  limit: RouteRateLimit | null,
): Promise<void> {
  if (limit) await ctx.limiter.settle?.(limit.key, limit.windowMs).catch(() => undefined);
}

async function afterFailure(
  ctx: OutboxWorkerContext,
  job: Job<OutboxJobData>,
  token: string | undefined,
  thrown: unknown,
  version: number,
  attempts: number,
): Promise<never> {
  const { tenant, id, windowStart, createdAt: createdMs } = job.data;
  const outcome = classifyFailure(thrown);
  const { kind, error } = outcome;
  const fromSending = { from: ['sending'] as const, createdMs };
  if (outcome.kind === 'held') {
    const until = Date.now() + ctx.config.holdRecheckMs;
    const gate = { kind: 'held' as const, reason: heldReason(error), until };
    return closeGate(ctx, job, token, gate, error, version);
  }
  if (outcome.kind === 'deferred') {
    const until = Date.now() + outcome.deferMs;
    const gate = { kind: 'deferred' as const, reason: deferredReason(error, until), until };
    return closeGate(ctx, job, token, gate, error, version);
  }
  const windowClosed = Date.now() >= windowStart + ctx.config.retryWindowMs;
  // The server cannot be reached or did not finish: one message tries it, the others wait.
  if (kind === 'transient' && !windowClosed && routeDown(thrown)) {
    return retryBehind(ctx, job, token, error, attempts);
  }
  if (kind === 'transient' && !windowClosed) {
    await ctx.log.update(
      tenant,
      id,
      { status: 'queued', lastError: error, heldReason: null },
      fromSending,
    );
    throw thrown instanceof Error ? thrown : new Error(error.message);
  }
  const status = kind === 'uncertain' ? 'uncertain' : 'failed';
  // Uncertain: the server may have it; either way BullMQ must not run it again on a store error.
  const { entry, applied } = await untilWritten(
    () => ctx.log.update(tenant, id, { status, lastError: error, heldReason: null }, fromSending),
    ctx.stopped,
  );
  if (entry && applied) ctx.transitions.failed(entry, error);
  throw new ctx.UnrecoverableError(error.message);
}
