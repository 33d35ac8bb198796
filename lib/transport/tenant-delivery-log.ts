import type { MailerStatus } from '../interfaces/mail-events.interface';

type Outcome = Pick<MailerStatus, 'lastError' | 'lastSuccessAt'>;

/** Enough for every tenant of a large deployment; beyond it, the least recently sending go first. */
const DEFAULT_LIMIT = 10_000;

/**
 * Each tenant's last failure and last success, for `status(tenant)`. Bounded: the tenants that sent
 * least recently are forgotten first, so memory does not grow with the number of tenants.
 */
export class TenantDeliveryLog {
  private readonly outcomes = new Map<string, Outcome>();

  constructor(private readonly limit = DEFAULT_LIMIT) {}

  of(tenant: string): Outcome {
    return this.outcomes.get(tenant) ?? { lastError: null, lastSuccessAt: null };
  }

  succeeded(tenant: string): void {
    this.record(tenant, { ...this.of(tenant), lastSuccessAt: new Date().toISOString() });
  }

  failed(tenant: string, code: string, message: string): void {
    this.record(tenant, {
      ...this.of(tenant),
      lastError: { code, message, at: new Date().toISOString() },
    });
  }

  private record(tenant: string, outcome: Outcome): void {
    // Re-inserted, so that the map's order is the order of last use.
    this.outcomes.delete(tenant);
    this.outcomes.set(tenant, outcome);
    if (this.outcomes.size > this.limit) {
      this.outcomes.delete(this.outcomes.keys().next().value!);
    }
  }
}
