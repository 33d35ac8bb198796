import type { LoggerService } from '@nestjs/common';
import type { Job } from 'bullmq';
import { messageOf } from '../../internal/message-of';
import type { OutboxError, SendLogEntry } from '../../interfaces/outbox.interface';
import type { SendResult } from '../../interfaces/send-result.interface';
import { attempt, settle } from './outbox-attempt';
import type { OutboxBackendHandle } from '../outbox-backend';
import { outboxBackoff } from './outbox-backoff';
import type { ResolvedOutboxOptions } from '../outbox-config';
import type { OutboxJobData } from '../outbox-message';
import { waitBehind, WAITING } from './outbox-waits';
import { ProvenTenants } from './proven-tenants';
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
  /** Aborted when shutdown interrupts the attempts: writes after a send stop being retried. */
  stopped?: AbortSignal;
}

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
  const proven = new ProvenTenants();
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
    const began = await proven
      .begin(tenant, id, version, ctx.config.tenantConcurrency, (share) =>
        ctx.log.update(
          tenant,
          id,
          { status: 'sending' },
          {
            from: WAITING,
            countAttempt: true,
            createdMs: data.createdAt,
            share,
            firstTake: job.attemptsStarted <= 1,
          },
        ),
      )
      .catch(async (error: unknown) => {
        // No attempt: the slot is given back at once (held in flight, it would wait out a lease).
        await settle(ctx, limit);
        throw error;
      });
    try {
      return await attempt(ctx, job, token, { began, limit, version, proven });
    } finally {
      proven.ended(tenant, id);
    }
  };
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
 * Starts a worker on the outbox's queue. `close()` lets its active attempts finish for most of
 * `shutdownTimeoutMs`, then interrupts them (`interrupt`: their connections close, each is logged
 * as its transport saw it: back to the queue before the end of its message, uncertain after), and
 * stops waiting at the timeout whatever an attempt does.
 */
export function startOutboxWorker(
  backend: OutboxBackendHandle,
  ctx: Omit<OutboxWorkerContext, 'DelayedError' | 'UnrecoverableError' | 'stopped'>,
  logger: LoggerService,
  interrupt: () => void,
): { close(): Promise<void> } {
  const { DelayedError, UnrecoverableError } = backend.bullmq;
  const stopping = new AbortController();
  const worker = backend.createWorker(
    outboxProcessor({ ...ctx, DelayedError, UnrecoverableError, stopped: stopping.signal }),
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
      stopping.abort();
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
