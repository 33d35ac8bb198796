import {
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { SendMailOptions } from 'nodemailer';
import { Subject, type Observable } from 'rxjs';
import type {
  EnqueueOptions,
  EnqueueResult,
  OutboxAlert,
  OutboxSummary,
  SendLogEntry,
  SendLogPage,
  SendLogQuery,
} from '../interfaces/outbox.interface';
import type { SmtpSettingsModuleOptions } from '../options/smtp-settings-options.interface';
import { SmtpSettingsService } from '../settings/smtp-settings.service';
import { LiveSmtpTransport } from '../transport/live-smtp-transport';
import { resolveOutboxOptions, type ResolvedOutboxOptions } from './outbox-config';

/**
 * The durable outbox: `enqueue` puts a message in a BullMQ queue (Redis or PostgreSQL) shared by
 * every replica, and the workers deliver it through the live transport with the tenant's settings
 * as they are then. Provided only when the module has the `outbox` option; `MailerService.enqueue`
 * delegates to it.
 */
export class OutboxService implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('SmtpSettingsOutbox');
  private readonly alerts = new Subject<OutboxAlert>();
  private readonly config: ResolvedOutboxOptions;

  /** Every alert of every tenant: held, failed, backlog, recovered. No secret in any. */
  readonly alerts$: Observable<OutboxAlert> = this.alerts.asObservable();

  constructor(
    private readonly options: SmtpSettingsModuleOptions,
    private readonly transport: LiveSmtpTransport,
    private readonly settings: SmtpSettingsService,
  ) {
    this.config = resolveOutboxOptions(options.outbox!);
  }

  async onModuleInit(): Promise<void> {}

  async onApplicationBootstrap(): Promise<void> {}

  async onApplicationShutdown(): Promise<void> {
    this.alerts.complete();
  }

  /**
   * Puts the message in the queue and resolves once the queue's store has it. Refused at once,
   * queueing nothing: header injection, no sender, the relay's `reject` policy over its limit, a
   * message that cannot be stored (a stream). An outage of the store rejects with
   * `OutboxUnavailableError`.
   */
  async enqueue(message: SendMailOptions, options?: EnqueueOptions): Promise<EnqueueResult> {
    void message;
    void options;
    throw new Error('not implemented');
  }

  /** The send log entry of a message; `null` when the tenant has none with that id. */
  async get(id: string, tenant?: string): Promise<SendLogEntry | null> {
    void id;
    void tenant;
    throw new Error('not implemented');
  }

  /** The tenant's send log, newest first. */
  async list(tenant: string | undefined, query: SendLogQuery = {}): Promise<SendLogPage> {
    void tenant;
    void query;
    throw new Error('not implemented');
  }

  /**
   * Queues a failed, uncertain or held message again, with its same Message-ID. Anything else
   * throws `NotRetryableError` (409); an unknown id `OutboxMessageNotFoundError` (404).
   */
  async retry(id: string, tenant?: string): Promise<EnqueueResult> {
    void id;
    void tenant;
    throw new Error('not implemented');
  }

  /** Counts by status, the oldest waiting message, the rate limit, the last 24 hours. */
  async summary(tenant?: string): Promise<OutboxSummary> {
    void tenant;
    throw new Error('not implemented');
  }

  /** Tries the tenant's held messages now (a settings change does it on every replica). */
  async release(tenant: string): Promise<number> {
    void tenant;
    throw new Error('not implemented');
  }
}
