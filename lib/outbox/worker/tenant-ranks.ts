/** BullMQ's highest priority number. */
const MAX_PRIORITY = 2_097_152;

/**
 * The order in which the queue serves tenants: each message's BullMQ priority is its rank among
 * its tenant's messages enqueued by this process within the last window. A tenant's first
 * `freeRanks` messages of a window go unprioritised (plain FIFO, ahead of every ranked one); past
 * them the n-th message is ranked n, so that the queue serves every tenant's n-th message before
 * any tenant's (n+1)-th: a tenant that sends 10,000 at once does not make one that sends 1 wait
 * behind them. Ranks are per process, a cheap stand-in for a tenant's backlog that costs the store
 * nothing.
 */
export class TenantRanks {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly windowMs = 60_000,
    private readonly freeRanks = 10,
  ) {}

  /** The BullMQ priority of the tenant's next message: 0 (none) or its rank. */
  next(tenant: string, now: number): number {
    let window = this.windows.get(tenant);
    if (!window || now - window.start >= this.windowMs) {
      window = { start: now, count: 0 };
      this.windows.set(tenant, window);
      this.forgetIdle(now);
    }
    const rank = ++window.count;
    return rank <= this.freeRanks ? 0 : Math.min(rank, MAX_PRIORITY);
  }

  /** Tenants quiet for a whole window are forgotten: the map holds the busy ones only. */
  private forgetIdle(now: number): void {
    if (this.windows.size < 1000) return;
    for (const [tenant, window] of this.windows) {
      if (now - window.start >= this.windowMs) this.windows.delete(tenant);
    }
  }
}
