import type { LoggerService } from '@nestjs/common';
import type { Job } from 'bullmq';
import { messageOf } from '../internal/message-of';
import type { OutboxError, OutboxStatus, SendLogEntry } from '../interfaces/outbox.interface';
import type { SendResult } from '../interfaces/send-result.interface';
import { classifyFailure, heldReason } from './delivery-outcome';
import type { OutboxBackendHandle } from './outbox-backend';
import type { ResolvedOutboxOptions } from './outbox-config';
import type { OutboxJobData } from './outbox-message';
import type { RouteRateLimit } from './route-rate-limit';
import type { SendLog } from './send-log.interface';
import type { SharedRateLimiter } from './shared-rate-limiter.interface';

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
}

/** What a worker may attempt: waiting, held, or `sending` when the previous worker died mid-send. */
const ATTEMPTABLE: readonly OutboxStatus[] = ['queued', 'held', 'sending'];

/**
 * Delivers one job: waits out the shared rate limit (the job goes back to delayed, nothing
 * fails), sends through the live transport with the job's Message-ID, and records the outcome.
 * Transient failures are thrown for BullMQ to retry with backoff until the retry window closes;
 * held messages go back to delayed until their tenant's settings change or `holdRecheckMs` passes;
 * permanent and uncertain ones fail at once (UnrecoverableError: never retried on their own).
 */
export function outboxProcessor(ctx: OutboxWorkerContext) {
  return async (job: Job<OutboxJobData>, token?: string): Promise<void> => {
    const data = job.data;
    const { tenant, id } = data;
    const version = await ctx.settingsVersion(tenant);
    const limit = await ctx.rateLimitOf(tenant);
    if (limit) {
      const waitMs = await ctx.limiter.acquire(limit.key, limit.limit, limit.windowMs);
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
        { from: ATTEMPTABLE, countAttempt: true, createdMs: data.createdAt },
      )
      .catch(async (error: unknown) => {
        // No attempt: the slot is given back at once (held in flight, it would wait out a lease).
        await settle(ctx, limit);
        throw error;
      });
    // Without an entry (none is written without its job) the message still goes: never dropped.
    if (began.entry && !began.applied) return settle(ctx, limit);
    let result: SendResult;
    try {
      result = await ctx.deliver(data);
    } catch (error) {
      await settle(ctx, limit);
      return afterFailure(ctx, job, token, error, version);
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
  };
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
): Promise<never> {
  const { tenant, id, windowStart, createdAt: createdMs } = job.data;
  const { kind, error } = classifyFailure(thrown);
  const fromSending = { from: ['sending'] as const, createdMs };
  if (kind === 'held') {
    const reason = heldReason(error);
    await ctx.log.update(
      tenant,
      id,
      { status: 'held', heldReason: reason, lastError: error },
      fromSending,
    );
    ctx.transitions.held(tenant, reason);
    await job.moveToDelayed(Date.now() + ctx.config.holdRecheckMs, token);
    // Settings saved during the attempt released the held messages before this one was: it goes too.
    if ((await ctx.settingsVersion(tenant)) !== version) {
      await job.changeDelay(0).catch(() => undefined);
    }
    throw new ctx.DelayedError();
  }
  const windowClosed = Date.now() >= windowStart + ctx.config.retryWindowMs;
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

/** Starts a worker on the outbox's queue; `close()` lets its active jobs finish. */
export function startOutboxWorker(
  backend: OutboxBackendHandle,
  ctx: Omit<OutboxWorkerContext, 'DelayedError' | 'UnrecoverableError'>,
  logger: LoggerService,
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
  return worker;
}
