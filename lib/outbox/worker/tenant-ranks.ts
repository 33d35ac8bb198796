/** BullMQ's highest priority number. */
const MAX_PRIORITY = 2_097_152;

/**
 * Where a message goes in the queue: `priority` 0 is BullMQ's wait list (served before every
 * prioritized job), at its tail, or at its head with `lifo`; above 0, the prioritized set.
 */
export interface QueuePlace {
  priority: number;
  lifo: boolean;
}

const TAIL: QueuePlace = { priority: 0, lifo: false };
const HEAD: QueuePlace = { priority: 0, lifo: true };

/** A tenant's unranked messages past its free ranks, which may still wait in the wait list. */
interface Burst {
  tenant: string;
  /** When the last of them was enqueued. */
  at: number;
}

/**
 * The order in which the queue serves tenants, decided per enqueuing process at no cost to the
 * store. Between tenants that send in the same window, each message's BullMQ priority is its rank
 * among its tenant's messages of the window: the first `freeRanks` go unprioritised (the wait
 * list, ahead of every ranked one), the n-th after them is ranked n, so the queue serves every
 * tenant's n-th message before any tenant's (n+1)-th: one that sends 10,000 at once does not make
 * one that sends 1 wait behind them.
 *
 * A rank costs Redis about 3.6 commands a message more than the wait list (BullMQ's priority
 * counter, the prioritized set's ZADD, its ZPOPMIN), and buys nothing while one tenant sends alone.
 * So a tenant alone in this process for a window goes unprioritised, in order, however many it
 * sends. Its messages past the free ranks are remembered as a burst that may still wait in the
 * wait list, until `burstMemoryMs` after the last of them. While it is remembered, every other
 * tenant's free ranks go to the head of the wait list (`lifo`), ahead of the burst, in every
 * window; their ranked ones wait behind it. The burst's own tenant is ranked as soon as another
 * tenant sends in its window. The cases:
 *
 * - a second tenant with 1 message while the burst waits: at the head, served next.
 * - a second tenant with 50: its first 10 at the head (served newest first among themselves);
 *   its 11th to 50th are ranked, so they wait for the rest of the burst, where plain ranks would
 *   have put them between its messages.
 * - a third tenant: the same; the head is last in, first out, so one that enqueued first waits
 *   behind the free ranks of those that came after it (today's tail: of those before it).
 * - the window rolls over: ranks start again; the burst is still remembered, so a tenant that
 *   sends in a later window, even alone, still goes ahead of it.
 *
 * The trade-off, for a one-tenant deployment's cheapest path: the head is served newest first; a
 * tenant's messages past its free ranks wait for an alone burst to drain; a burst the workers
 * have not taken once within `burstMemoryMs` (a worker sends each message it takes, or parks it
 * at its tenant's share, or books it behind its rate limit) can outlast the memory; and another
 * process knows nothing of this one's burst: a tenant that sends through a process that saw no
 * burst queues at the tail, behind a burst that another process enqueued alone.
 */
export class TenantRanks {
  private readonly windows = new Map<string, { start: number; count: number }>();
  /** The two tenants that enqueued last, most recent first: who else sent in the window. */
  private latest: Array<{ tenant: string; at: number }> = [];
  private burst: Burst | null = null;

  constructor(
    private readonly windowMs = 60_000,
    private readonly freeRanks = 10,
    private readonly burstMemoryMs = 10 * windowMs,
  ) {}

  /** Where the tenant's next message goes. */
  next(tenant: string, now: number): QueuePlace {
    const rank = this.rank(tenant, now);
    const alone = !this.latest.some((e) => e.tenant !== tenant && now - e.at < this.windowMs);
    this.latest = [{ tenant, at: now }, ...this.latest.filter((e) => e.tenant !== tenant)];
    this.latest.length = Math.min(this.latest.length, 2);
    if (this.burst && now - this.burst.at >= this.burstMemoryMs) this.burst = null;
    const burst = this.burst;
    if (burst && burst.tenant !== tenant) return rank <= this.freeRanks ? HEAD : this.ranked(rank);
    if (alone) {
      if (rank > this.freeRanks) this.burst = { tenant, at: now };
      return TAIL;
    }
    return this.ranked(rank);
  }

  private ranked(rank: number): QueuePlace {
    return rank <= this.freeRanks ? TAIL : { priority: Math.min(rank, MAX_PRIORITY), lifo: false };
  }

  /** The message's rank among its tenant's messages of the window, counted from 1. */
  private rank(tenant: string, now: number): number {
    let window = this.windows.get(tenant);
    if (!window || now - window.start >= this.windowMs) {
      window = { start: now, count: 0 };
      this.windows.set(tenant, window);
      this.forgetIdle(now);
    }
    return ++window.count;
  }

  /** Tenants quiet for a whole window are forgotten: the map holds the busy ones only. */
  private forgetIdle(now: number): void {
    if (this.windows.size < 1000) return;
    for (const [tenant, window] of this.windows) {
      if (now - window.start >= this.windowMs) this.windows.delete(tenant);
    }
  }
}
