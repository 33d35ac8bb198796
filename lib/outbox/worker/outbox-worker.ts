import type { LoggerService } from '@nestjs/common';
import type { Job } from 'bullmq';
import { messageOf } from '../../internal/message-of';
import type { OutboxError, SendLogEntry } from '../../interfaces/outbox.interface';
import type { SendResult } from '../../interfaces/send-result.interface';
import { classifyFailure, heldReason, routeDown } from './delivery-outcome';
import type { OutboxBackendHandle } from '../outbox-backend';
import { outboxBackoff } from './outbox-backoff';
import type { ResolvedOutboxOptions } from '../outbox-config';
import type { OutboxJobData } from '../outbox-message';
import { closeGate, deferredReason, retryBehind, waitBehind, WAITING } from './outbox-waits';
import type { RouteRateLimit } from '../rate-limit/route-rate-limit';
import type { SendLog } from '../send-log/send-log.interface';
import type { SharedRateLimiter } from '../rate-limit/shared-rate-limiter.interface';
import type { TenantGates } from './tenant-gates';

/** The state changes the alerts follow. */
export interface OutboxTransitions {
  held(tenant: string, reason: string): void;
  failed(entry: SendLogEntry, error: OutboxError): void;
  sent(tenant: string): void;
}

/** What the worker's processor needs; BullMQ's error classes come from the loaded package. */
export interface OutboxWorkerContext {
  config: ResolvedOutboxOptions;
  log: SendLog;
  limiter: SharedRateLimiter;
  DelayedError: new (message?: string) => Error;
  UnrecoverableError: new (message?: string) => Error;
  deliver(data: OutboxJobData): Promise<SendResult>;
  rateLimitOf(tenant: string): Promise<RouteRateLimit | null>;
  /** The tenant's settings version as this process knows it. */
  settingsVersion(tenant: string): Promise<number>;
  transitions: OutboxTransitions;
  /** The tenants whose mail waits behind one probe (held, or deferred by their provider). */
  gates: TenantGates;
  /** Makes the tenant's held messages due now (their probe went). */
  release(tenant: string): Promise<unknown>;
  /** Makes these parked messages due now: a place under their tenant's share is free. */
  unpark(ids: readonly string[]): Promise<unknown>;
}

/** A parked message whose unparking was lost (its unparker stopped) comes due after this. */
const parkFallbackMs = (config: ResolvedOutboxOptions) => 2 * config.attemptTimeoutMs + 5_000;

/**
 * Delivers one job: waits behind its tenant's probe when the tenant is held or deferred, waits out
 * the shared rate limit (the job goes back to delayed, nothing fails), sends through the live
 * transport with the job's Message-ID, and records the outcome. Transient failures are thrown for
 * BullMQ to retry with backoff until the retry window closes; held and deferred messages make the
 * tenant wait behind this one as its probe; permanent and uncertain ones fail at once
 * (UnrecoverableError: never retried on their own).
 */
export function outboxProcessor(context: OutboxWorkerContext) {
  const ctx = { ...context, log: unparking(context) };
  return async (job: Job<OutboxJobData>, token?: string): Promise<void> => {
    const data = job.data;
    const { tenant, id } = data;
    const version = await ctx.settingsVersion(tenant);
    const gate = ctx.gates.waitFor(tenant, job.id ?? id, Date.now());
    if (gate) return waitBehind(ctx, job, token, gate);
    const limit = await ctx.rateLimitOf(tenant);
    if (limit) {
      // The job id is its ticket: refused, it is booked a slot ahead and comes due at it.
      const waitMs = await ctx.limiter.acquire(limit.key, limit.limit, limit.windowMs, id);
      if (waitMs > 0) {
        await job.moveToDelayed(Date.now() + waitMs, token);
        throw new ctx.DelayedError();
      }
    }
    // Compare and set, in one step with the attempt's count: only a message still waiting is
    // attempted (`sending`: its worker died mid-send). One logged sent, failed or uncertain is
    // done: a worker that died after the send, or a job added again by a repeated idempotency key.
    const began = await ctx.log
      .update(
        tenant,
        id,
        { status: 'sending' },
        {
          from: WAITING,
          countAttempt: true,
          createdMs: data.createdAt,
          share: ctx.config.tenantConcurrency,
        },
      )
      .catch(async (error: unknown) => {
        // No attempt: the slot is given back at once (held in flight, it would wait out a lease).
        await settle(ctx, limit);
        throw error;
      });
    if (began.parked) return park(ctx, job, token, limit);
    // Without an entry (none is written without its job) the message still goes: never dropped.
    if (began.entry && !began.applied) return settle(ctx, limit);
    // A probe failed while this message was being admitted (its place freed as it closed the
    // gate): it waits behind that probe rather than ask the refusing server once more.
    const closed = ctx.gates.waitFor(tenant, job.id ?? id, Date.now());
    if (closed) {
      await settle(ctx, limit);
      return waitBehind(ctx, job, token, closed);
    }
    let result: SendResult;
    try {
      result = await ctx.deliver(data);
    } catch (error) {
      await settle(ctx, limit);
      return afterFailure(ctx, job, token, error, version, began.entry?.attempts ?? 1);
    }
    await settle(ctx, limit);
    await ctx.log.update(
      tenant,
      id,
      {
        status: 'sent',
        route: result.route,
        settingsVersion: result.settingsVersion,
        response: result.response ?? null,
        heldReason: null,
      },
      { from: ['sending'], createdMs: data.createdAt },
    );
    ctx.transitions.sent(tenant);
    // The probe went: the messages that waited behind it go too.
    const opened = ctx.gates.open(tenant);
    if (opened?.followers?.size) await ctx.unpark([...opened.followers]).catch(() => undefined);
    if (opened) await ctx.release(tenant).catch(() => undefined);
  };
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

/** The log, making due the parked messages that an update out of `sending` gives a place to. */
function unparking(ctx: OutboxWorkerContext): SendLog {
  const log = ctx.log;
  return Object.assign(Object.create(log) as SendLog, {
    async update(...args: Parameters<SendLog['update']>) {
      const updated = await log.update(...args);
      if (updated.unparked?.length) await ctx.unpark(updated.unparked).catch(() => undefined);
      return updated;
    },
  });
}

/**
 * The attempt is over: its slot of the shared limit counts from now, when the server has the
 * message, not from when the attempt began (a first connection's TLS and token take a while, and
 * the server counts what it receives). A limiter that cannot be reached costs nothing more here.
 */
async function settle(ctx: OutboxWorkerContext, limit: RouteRateLimit | null): Promise<void> {
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
  const { entry, applied } = await ctx.log.update(
    tenant,
    id,
    { status, lastError: error, heldReason: null },
    fromSending,
  );
  if (entry && applied) ctx.transitions.failed(entry, error);
  throw new ctx.UnrecoverableError(error.message);
}

/**
 * Starts a worker on the outbox's queue. `close()` lets its active attempts finish for most of
 * `shutdownTimeoutMs`, then interrupts them (`interrupt`: their connections close, each is logged
 * as its transport saw it: back to the queue before the end of its message, uncertain after), and
 * stops waiting at the timeout whatever an attempt does.
 */
export function startOutboxWorker(
  backend: OutboxBackendHandle,
  ctx: Omit<OutboxWorkerContext, 'DelayedError' | 'UnrecoverableError'>,
  logger: LoggerService,
  interrupt: () => void,
): { close(): Promise<void> } {
  const { DelayedError, UnrecoverableError } = backend.bullmq;
  const worker = backend.createWorker(
    outboxProcessor({ ...ctx, DelayedError, UnrecoverableError }),
    { concurrency: ctx.config.concurrency, backoff: outboxBackoff(ctx.config) },
  );
  // While the store is down the worker fails every second: one line a minute says so.
  let warned = 0;
  worker.on('error', (error) => {
    if (Date.now() - warned < 60_000) return;
    warned = Date.now();
    logger.warn(`Outbox worker: ${messageOf(error)}`);
  });
  return {
    async close() {
      const total = ctx.config.shutdownTimeoutMs;
      // The last fifth is for the interrupted attempts' outcomes to be written.
      const closing = worker.close();
      if (await settlesWithin(closing, Math.round(total * 0.8))) return;
      logger.warn(
        `Outbox: attempts still running after ${Math.round(total * 0.8)} ms of shutdown: interrupting them`,
      );
      interrupt();
      if (await settlesWithin(closing, Math.round(total * 0.2))) return;
      // An attempt that ignored the interruption: its job's lock lapses and it is tried again.
      await worker.close(true).catch(() => undefined);
    },
  };
}

async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
