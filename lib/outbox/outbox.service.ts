import {
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { createTransport, type SendMailOptions, type Transporter } from 'nodemailer';
import { merge, type Observable, type Subscription } from 'rxjs';
import { OutboxUnavailableError } from '../errors/outbox-unavailable.error';
import type {
  EnqueueOptions,
  EnqueueResult,
  OutboxAlert,
  OutboxSummary,
  SendLogEntry,
  SendLogPage,
  SendLogQuery,
} from '../interfaces/outbox.interface';
import type { SendResult } from '../interfaces/send-result.interface';
import { messageOf } from '../internal/message-of';
import type { SmtpSettingsModuleOptions } from '../options/smtp-settings-options.interface';
import { SmtpSettingsService } from '../settings/smtp-settings.service';
import { assertTenantId } from '../settings/tenant-id';
import { LiveSmtpTransport } from '../transport/live-smtp-transport';
import { createSendLog } from './send-log/create-send-log';
import { createSharedRateLimiter } from './rate-limit/create-shared-rate-limiter';
import { OutboxAlerts } from './outbox-alerts';
import { openOutboxBackend, type OutboxBackendHandle } from './outbox-backend';
import { resolveOutboxOptions, type ResolvedOutboxOptions } from './outbox-config';
import { jobOptions, prepareMessage } from './enqueue/outbox-enqueue';
import { retryMessage } from './outbox-retry';
import { makeDue, PARK_SWEEP_MS, releaseHeld, unparkStranded } from './outbox-requeue';
import { OutboxTelemetry } from './outbox-telemetry';
import { guardStore, guardWrite } from './outbox-store-guard';
import { createEnqueueWriter } from './enqueue/create-enqueue-writer';
import type { OutboxEnqueueWriter } from './enqueue/outbox-enqueue-writer.interface';
import { messageIdFor } from './enqueue/outbox-ids';
import { startOutboxWorker } from './worker/outbox-worker';
import { retryingIds, TenantGates } from './worker/tenant-gates';
import { TenantRanks } from './worker/tenant-ranks';
import type { SmtpSettingsState } from '../interfaces/smtp-settings.types';
import { isMessageId } from './send-log/send-log-entries';
import type { SendLog } from './send-log/send-log.interface';
import type { SharedRateLimiter } from './rate-limit/shared-rate-limiter.interface';
import { bookedWait } from './rate-limit/route-rate-limit';

/**
 * The durable outbox: `enqueue` puts a message in a BullMQ queue (Redis or PostgreSQL) shared by
 * every replica, and the workers deliver it through the live transport with the tenant's settings
 * as they are then. Provided only when the module has the `outbox` option; `MailerService.enqueue`
 * delegates to it.
 */
export class OutboxService
  implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown
{
  private readonly logger = new Logger('SmtpSettingsOutbox');
  private readonly config: ResolvedOutboxOptions;
  private readonly transporter: Transporter<SendResult>;
  private readonly alertState: OutboxAlerts;
  private readonly gates: TenantGates;
  private readonly ranks = new TenantRanks();
  private readonly telemetry: OutboxTelemetry;
  /** Aborted when shutdown has waited long enough: the attempts still running are interrupted. */
  private readonly interruption = new AbortController();
  private backend?: OutboxBackendHandle;
  private sendLog?: SendLog;
  private enqueueWriter?: OutboxEnqueueWriter;
  private limiter?: SharedRateLimiter;
  private worker?: { close(): Promise<void> };
  private subscription?: Subscription;
  private readonly timers: NodeJS.Timeout[] = [];

  /** Every alert of every tenant: held, failed, backlog, recovered, failover, failback. No secret in any. */
  readonly alerts$: Observable<OutboxAlert>;

  constructor(
    private readonly options: SmtpSettingsModuleOptions,
    transport: LiveSmtpTransport,
    private readonly settings: SmtpSettingsService,
    private readonly budgetOf: (
      tenant: string,
      state: SmtpSettingsState,
    ) => { key: string; limit: number; windowMs: number } | null,
  ) {
    this.config = resolveOutboxOptions(options.outbox!);
    this.transporter = createTransport(transport);
    this.telemetry = new OutboxTelemetry(options, this.config);
    this.alertState = new OutboxAlerts(options.onAlert, this.logger);
    // A probe not back a recheck after its time was lost: the tenant's next message probes.
    this.gates = new TenantGates(this.config.holdRecheckMs, this.config.attemptTimeoutMs + 5_000);
    // The live transport's failover and failback happen to the outbox's messages too.
    this.alerts$ = merge(this.alertState.alerts$, transport.alerts$);
  }

  /** Opens the queue, the send log and the limiter; a store that cannot be reached stops the start. */
  async onModuleInit(): Promise<void> {
    const backend = (this.backend = openOutboxBackend(this.config));
    try {
      this.sendLog = this.telemetry.sendLog(createSendLog(this.config, backend.connection));
      this.enqueueWriter = this.telemetry.writer(createEnqueueWriter(backend, this.sendLog));
      this.limiter = createSharedRateLimiter(this.config, backend.connection);
      await guardStore('the outbox could not start', () => backend.queue.waitUntilReady());
    } catch (error) {
      // Nothing keeps reconnecting after a failed start.
      await this.onApplicationShutdown();
      throw error;
    }
    // A change saved on any replica, of main or the backup, releases the tenant's held mail.
    const { changes$, backupChanges$ } = this.settings;
    this.subscription = merge(changes$, backupChanges$).subscribe(({ tenant }) => {
      const said = `Could not release the held mail of tenant ${tenant}`;
      this.release(tenant).catch((e: unknown) => this.logger.error(`${said}: ${messageOf(e)}`));
    });
  }

  /** Starts the worker (unless `outbox.worker` is false) and the periodic backlog and prune work. */
  async onApplicationBootstrap(): Promise<void> {
    if (this.config.worker) {
      this.worker = startOutboxWorker(
        this.open(),
        {
          config: this.config,
          log: this.log(),
          limiter: this.limiter!,
          deliver: this.telemetry.deliveries(this.transporter, this.interruption.signal),
          rateLimitOf: async (tenant) => this.budgetOf(tenant, await this.settings.get(tenant)),
          settingsVersion: async (tenant) => (await this.settings.get(tenant)).version,
          transitions: this.alertState,
          gates: this.gates,
          release: (tenant) => this.release(tenant),
          unpark: (ids) => makeDue(this.open().queue, ids),
        },
        this.logger,
        () => this.interruption.abort(),
      );
      this.every(Math.min(3_600_000, this.config.retention.logTtlMs), () =>
        this.log().prune(Date.now()),
      );
      // A lost unparking (its unparker stopped) costs a parked message this, not its fallback;
      // only a log that can find one (PostgreSQL's) is swept.
      const { tenantConcurrency: share } = this.config;
      const sweep = () => unparkStranded(this.log(), this.open().queue, share);
      if (this.log().unparkStranded) this.every(PARK_SWEEP_MS, sweep);
    }
    const threshold = this.config.alerts.oldestWaitingMs;
    this.every(Math.max(50, Math.min(60_000, Math.floor(threshold / 2))), () =>
      this.alertState.checkBacklog(
        async (tenant) => (await this.log().summary(tenant, Date.now())).oldestWaitingAgeMs,
        threshold,
      ),
    );
  }

  /** Stops taking jobs and lets the active ones finish while the transport still runs. */
  async onModuleDestroy(): Promise<void> {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    this.subscription?.unsubscribe();
    await this.worker?.close();
  }

  async onApplicationShutdown(): Promise<void> {
    const { sendLog, limiter, backend } = this;
    this.sendLog = this.limiter = this.backend = this.enqueueWriter = undefined;
    await sendLog?.close().catch(() => undefined);
    await limiter?.close?.().catch(() => undefined);
    await backend?.close();
    this.transporter.close();
    this.alertState.complete();
  }

  /**
   * Puts the message in the queue and resolves once the queue's store has it: its send log entry
   * and its job, written together or not at all. Refused at once, with nothing written: header
   * injection, no sender, the relay's `reject` policy over its limit, a message that cannot be
   * stored (`MessageNotQueueableError`). `OutboxUnavailableError`: the store refused the write or
   * could not be reached, so nothing was queued. `OutboxUncertainError`: the store did not confirm
   * the write in time, so it may have been queued; the same `idempotencyKey` makes a retry safe.
   */
  async enqueue(message: SendMailOptions, options: EnqueueOptions = {}): Promise<EnqueueResult> {
    const tenant = this.tenantOf(options.tenant, 'the tenant option');
    const delay = options.delay ?? 0;
    if (!Number.isFinite(delay) || delay < 0) {
      throw new RangeError('enqueue(): delay must be a number of milliseconds, 0 or more');
    }
    const key = options.idempotencyKey === undefined ? undefined : String(options.idempotencyKey);
    const id = messageIdFor(tenant, key);
    const state = await this.settings.get(tenant);
    const { data, entry } = prepareMessage(
      message,
      tenant,
      state,
      this.options.relay,
      this.config.maxMessageBytes,
      id,
    );
    const log = this.log();
    const writer = this.writer();
    // A key seen before names a message already logged: nothing to write (the write itself would
    // change nothing either, but a job of a message long sent would be added and skipped).
    if (key !== undefined) {
      const known = await this.guard('the idempotency key could not be looked up', () =>
        log.get(tenant, id),
      );
      if (known) return { id, status: 'queued' };
    }
    // Over its route's limit, its job sleeps until its slot from the start.
    const limit = delay > 0 ? null : this.budgetOf(tenant, state);
    const booking = () => bookedWait(this.limiter, limit, id);
    const booked = limit ? await this.guard('its rate-limit slot could not be booked', booking) : 0;
    const { logTtlMs } = this.config.retention;
    const place = this.ranks.next(tenant, Date.now());
    await guardWrite(
      id,
      'the message was not queued',
      (error) => writer.provesNothingWritten(error),
      () => writer.write(entry, data, jobOptions(delay || booked, logTtlMs, place)),
      this.config.storeTimeoutMs,
    );
    this.alertState.tenants.add(tenant);
    return { id, status: 'queued' };
  }

  /** The send log entry of a message; `null` when the tenant has none with that id. */
  async get(id: string, tenant?: string): Promise<SendLogEntry | null> {
    const owner = this.tenantOf(tenant);
    return isMessageId(id) ? this.log().get(owner, id) : null;
  }

  /** The tenant's send log, newest first (50 entries unless `limit` says otherwise). */
  async list(tenant: string | undefined, query: SendLogQuery = {}): Promise<SendLogPage> {
    return this.log().list(this.tenantOf(tenant), { ...query, limit: query.limit ?? 50 });
  }

  /**
   * Queues a failed, uncertain or held message again, with its same Message-ID and a new retry
   * window. Anything else throws `NotRetryableError` (409); an unknown id
   * `OutboxMessageNotFoundError` (404).
   */
  async retry(id: string, tenant?: string): Promise<EnqueueResult> {
    const { storeTimeoutMs } = this.config;
    const store = { log: this.log(), queue: this.open().queue, writer: this.writer() };
    return retryMessage({ ...store, storeTimeoutMs }, id, this.tenantOf(tenant));
  }

  /** Counts by status, the oldest waiting message, the rate limit, why mail waits, the last day. */
  async summary(tenant?: string): Promise<OutboxSummary> {
    const owner = this.tenantOf(tenant);
    const counted = await this.log().summary(owner, Date.now());
    const base = { ...counted, waiting: this.gates.state(owner) };
    const limit = this.budgetOf(owner, await this.settings.get(owner));
    if (!limit) return { ...base, rateLimit: null };
    const used = await this.limiter?.used?.(limit.key, limit.windowMs);
    const state = { limit: limit.limit, windowMs: limit.windowMs };
    return { ...base, rateLimit: used === undefined ? state : { ...state, used } };
  }

  /**
   * Tries the tenant's held messages now; resolves with how many were released. A change of the
   * tenant's settings or backup connection, saved on any replica, does it on its own.
   */
  async release(tenant: string): Promise<number> {
    const owner = this.tenantOf(tenant);
    const behind = retryingIds(this.gates.open(owner));
    return releaseHeld(this.log(), this.open().queue, owner, behind);
  }

  private every(ms: number, task: () => Promise<unknown>): void {
    const timer = setInterval(() => {
      task().catch((error: unknown) => this.logger.warn(`Outbox: ${messageOf(error)}`));
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }

  /** The queue, or `OutboxUnavailableError` once the outbox is shut down. */
  private open(): OutboxBackendHandle {
    if (!this.backend) throw new OutboxUnavailableError('the outbox is shut down');
    return this.backend;
  }

  private log(): SendLog {
    if (!this.sendLog) throw new OutboxUnavailableError('the outbox is shut down');
    return this.sendLog;
  }

  private writer(): OutboxEnqueueWriter {
    if (!this.enqueueWriter) throw new OutboxUnavailableError('the outbox is shut down');
    return this.enqueueWriter;
  }

  /** A read or a change that is harmless when it fails: any store error is an outage. */
  private guard<T>(what: string, operation: () => Promise<T>): Promise<T> {
    return guardStore(what, operation, this.config.storeTimeoutMs);
  }

  private tenantOf(tenant: string | undefined, source = 'the tenant'): string {
    return assertTenantId(tenant ?? this.settings.defaultTenant, source);
  }
}
