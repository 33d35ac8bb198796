import { setTimeout as sleep } from 'node:timers/promises';

/**
 * At most `limit` starts in any window of `windowMs`, queued in arrival order. Nodemailer's own
 * pool limiter lets every connection through at once, which exceeds a mailbox's limit under load.
 */
export class SlidingWindowLimiter {
  private readonly starts: number[] = [];
  private queue: Promise<void> = Promise.resolve();
  private waiting = 0;

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Resolves at this caller's turn; an aborted wait rejects and gives its place up. */
  acquire(signal?: AbortSignal): Promise<void> {
    this.waiting++;
    const turn = this.queue.then(() => this.waitForSlot(signal));
    // A caller that gave up must not hold up the ones queued behind it.
    this.queue = turn.then(
      () => void this.waiting--,
      () => void this.waiting--,
    );
    return turn;
  }

  /** Nobody waits and no start is in the window: forgetting it now loses no budget. */
  isIdle(): boolean {
    const last = this.starts.at(-1);
    return this.waiting === 0 && (last === undefined || last <= Date.now() - this.windowMs);
  }

  private async waitForSlot(signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const now = Date.now();
      while (this.starts.length > 0 && this.starts[0]! <= now - this.windowMs) this.starts.shift();
      if (this.starts.length < this.limit) {
        this.starts.push(now);
        return;
      }
      await sleep(this.starts[0]! + this.windowMs - now, undefined, { signal });
    }
  }
}
