import { setTimeout as sleep } from 'node:timers/promises';

/**
 * At most `limit` starts in any window of `windowMs`, queued in arrival order. Nodemailer's own
 * pool limiter lets every connection through at once, which exceeds a mailbox's limit under load.
 */
export class SlidingWindowLimiter {
  private readonly starts: number[] = [];
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Resolves at this caller's turn; an aborted wait rejects and gives its place up. */
  acquire(signal?: AbortSignal): Promise<void> {
    const turn = this.queue.then(() => this.waitForSlot(signal));
    // A caller that gave up must not hold up the ones queued behind it.
    this.queue = turn.catch(() => undefined);
    return turn;
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
