/**
 * At most `max` custom pools open at once, the ones still finishing their messages included, so
 * that open sockets stay below `max` × pool size however many tenants send. A build that finds no
 * free slot waits, in arrival order, for a closing pool to free one.
 */
export class ChannelSlots {
  private used = 0;
  private readonly waiters: Array<{ grant: () => void }> = [];

  constructor(private readonly max: number) {}

  /** Builds waiting for a slot. */
  get waiting(): number {
    return this.waiters.length;
  }

  /**
   * Resolves once a slot is taken. When none is free, `makeRoom` is called after this build joined
   * the queue, to retire pools until enough of them are closing; an aborted wait rejects.
   */
  take(signal: AbortSignal, makeRoom: () => void): Promise<void> {
    signal.throwIfAborted();
    if (this.used < this.max) {
      this.used++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(signal.reason);
      };
      const waiter = {
        grant: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      this.waiters.push(waiter);
      signal.addEventListener('abort', onAbort, { once: true });
      makeRoom();
    });
  }

  /** A pool closed: its slot goes to the longest-waiting build, or back to the free ones. */
  free(): void {
    const next = this.waiters.shift();
    if (next) next.grant();
    else this.used--;
  }
}
