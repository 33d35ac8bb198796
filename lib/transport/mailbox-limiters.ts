import { SlidingWindowLimiter } from './sliding-window-limiter';

interface Held {
  limiter: SlidingWindowLimiter;
  channels: number;
}

/** A limiter the channel holds while it is open. */
export interface LimiterLease {
  limiter: SlidingWindowLimiter;
  release(): void;
}

/**
 * One limiter per mailbox, shared by the channels that send as it (a tenant's old channel still
 * finishing and its new one), so that saving settings does not reset the budget. A limiter that
 * no channel holds and whose window has passed is dropped on the next lease, so that closed
 * channels of many tenants leave nothing behind.
 */
export class MailboxLimiters {
  private readonly byMailbox = new Map<string, Held>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  get size(): number {
    return this.byMailbox.size;
  }

  lease(mailbox: string): LimiterLease {
    this.prune();
    let held = this.byMailbox.get(mailbox);
    if (!held) {
      held = { limiter: new SlidingWindowLimiter(this.limit, this.windowMs), channels: 0 };
      this.byMailbox.set(mailbox, held);
    }
    held.channels++;
    let released = false;
    const lease = held;
    return {
      limiter: lease.limiter,
      release: () => {
        if (released) return;
        released = true;
        lease.channels--;
      },
    };
  }

  private prune(): void {
    for (const [mailbox, held] of this.byMailbox) {
      if (held.channels === 0 && held.limiter.isIdle()) this.byMailbox.delete(mailbox);
    }
  }
}
