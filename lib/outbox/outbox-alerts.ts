import type { LoggerService } from '@nestjs/common';
import { Subject, type Observable } from 'rxjs';
import type { OutboxAlert, OutboxError, SendLogEntry } from '../interfaces/outbox.interface';
import { messageOf } from '../internal/message-of';
import type { OutboxTransitions } from './worker/outbox-worker';

/**
 * Turns the worker's transitions into alerts: `held` once per episode of a tenant (until one of its
 * messages goes out again: `recovered`), `failed` for each message that finally failed (or ended
 * uncertain), `backlog` once while a tenant's oldest waiting message is older than the threshold.
 * Episodes are this process's view. No alert carries a secret: only the module's own messages.
 */
export class OutboxAlerts implements OutboxTransitions {
  private readonly heldTenants = new Set<string>();
  private readonly backlogged = new Set<string>();
  /** The tenants this process enqueued or delivered for: the ones the backlog check looks at. */
  readonly tenants = new Set<string>();

  private readonly subject = new Subject<OutboxAlert>();
  readonly alerts$: Observable<OutboxAlert> = this.subject.asObservable();

  constructor(
    private readonly onAlert: ((alert: OutboxAlert) => void) | undefined,
    private readonly logger: LoggerService,
  ) {}

  complete(): void {
    this.subject.complete();
  }

  held(tenant: string, reason: string): void {
    this.tenants.add(tenant);
    if (this.heldTenants.has(tenant)) return;
    this.heldTenants.add(tenant);
    this.emit({ type: 'held', tenant, reason, at: now() });
  }

  failed(entry: SendLogEntry, error: OutboxError): void {
    this.emit({
      type: 'failed',
      tenant: entry.tenant,
      id: entry.id,
      messageId: entry.messageId,
      code: error.code,
      message: error.message,
      at: now(),
    });
  }

  sent(tenant: string): void {
    this.tenants.add(tenant);
    if (this.heldTenants.delete(tenant)) this.emit({ type: 'recovered', tenant, at: now() });
  }

  /** One `backlog` alert per tenant while its oldest waiting message is older than `thresholdMs`. */
  async checkBacklog(
    oldestWaitingAgeMs: (tenant: string) => Promise<number | null>,
    thresholdMs: number,
  ): Promise<void> {
    for (const tenant of this.tenants) {
      const age = await oldestWaitingAgeMs(tenant);
      if (age === null || age < thresholdMs) {
        this.backlogged.delete(tenant);
        if (age === null && !this.heldTenants.has(tenant)) this.tenants.delete(tenant);
      } else if (!this.backlogged.has(tenant)) {
        this.backlogged.add(tenant);
        this.emit({ type: 'backlog', tenant, oldestWaitingAgeMs: age, at: now() });
      }
    }
  }

  /** To `alerts$` and `onAlert`; a throwing handler is logged, never the worker's problem. */
  private emit(alert: OutboxAlert): void {
    this.subject.next(alert);
    try {
      this.onAlert?.(alert);
    } catch (error) {
      this.logger.error(`onAlert threw for a ${alert.type} alert: ${messageOf(error)}`);
    }
  }
}

function now(): string {
  return new Date().toISOString();
}
