import type { MailerStatus } from '../interfaces/mail-events.interface';

type Outcome = Pick<MailerStatus, 'lastError' | 'lastSuccessAt'>;

/** What is kept per tenant: the last success as a time, written as ISO only when someone reads it. */
interface Kept {
  lastError: MailerStatus['lastError'];
  lastSuccessAt: number | null;
}

/** Enough for every tenant of a large deployment; beyond it, the least recently sending go first. */
const DEFAULT_LIMIT = 10_000;

/**
 * Each tenant's last failure and last success, for `status(tenant)`. Bounded: the tenants that sent
 * least recently are forgotten first, so memory does not grow with the number of tenants.
 */
export class TenantDeliveryLog {
  private readonly outcomes = new Map<string, Kept>();
  /** The tenant last recorded, already last in the map's order. */
  private latest: string | undefined;

  constructor(private readonly limit = DEFAULT_LIMIT) {}

  of(tenant: string): Outcome {
    const kept = this.outcomes.get(tenant);
    if (!kept) return { lastError: null, lastSuccessAt: null };
    const { lastError, lastSuccessAt } = kept;
    return {
      lastError,
      lastSuccessAt: lastSuccessAt === null ? null : new Date(lastSuccessAt).toISOString(),
    };
  }

  // Every sent message passes here: a time, not a Date and its ISO string (about 5 µs a message).
  succeeded(tenant: string): void {
    this.kept(tenant).lastSuccessAt = Date.now();
  }

  failed(tenant: string, code: string, message: string): void {
    this.kept(tenant).lastError = { code, message, at: new Date().toISOString() };
  }

  /** The tenant's entry, moved last, so that the map's order is the order of last use. */
  private kept(tenant: string): Kept {
    let kept = this.outcomes.get(tenant);
    if (kept && tenant === this.latest) return kept;
    kept ??= { lastError: null, lastSuccessAt: null };
    this.latest = tenant;
    this.outcomes.delete(tenant);
    this.outcomes.set(tenant, kept);
    if (this.outcomes.size > this.limit) {
      this.outcomes.delete(this.outcomes.keys().next().value!);
    }
    return kept;
  }
}
