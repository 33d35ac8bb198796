/** At most `max` requests at once; the others wait in arrival order. */
export class RequestGate {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly max: number) {}

  /** Requests running or waiting now. */
  get busy(): number {
    return this.running + this.waiting.length;
  }

  /**
   * Runs `work` once a slot is free. A waiter whose `signal` aborts leaves the queue with the
   * signal's reason and never runs: its attempt is over, and nothing of it may reach Graph later.
   */
  async run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.running >= this.max) await this.turn(signal);
    else this.running++;
    try {
      return await work();
    } finally {
      // The slot passes straight to the next waiter, so a newcomer cannot jump the queue.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  private turn(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    return new Promise<void>((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', leave);
        resolve();
      };
      const leave = () => {
        this.waiting.splice(this.waiting.indexOf(grant), 1);
        reject(signal!.reason);
      };
      this.waiting.push(grant);
      signal?.addEventListener('abort', leave, { once: true });
    });
  }
}

interface Held {
  gate: RequestGate;
  holders: number;
}

/** A gate a channel (or an admin check) holds while it may send. */
export interface GateLease {
  gate: RequestGate;
  release(): void;
}

/**
 * One gate per mailbox, shared by every channel sending as it (a tenant's retiring channel and its
 * new one, and admin checks), because Microsoft Graph counts concurrent requests per mailbox. A gate
 * nobody holds and nobody waits on is dropped on the next lease.
 */
export class MailboxGates {
  private readonly byMailbox = new Map<string, Held>();

  constructor(private readonly max: number) {}

  get size(): number {
    return this.byMailbox.size;
  }

  lease(mailbox: string): GateLease {
    for (const [key, held] of this.byMailbox) {
      if (held.holders === 0 && held.gate.busy === 0) this.byMailbox.delete(key);
    }
    let held = this.byMailbox.get(mailbox);
    if (!held) {
      held = { gate: new RequestGate(this.max), holders: 0 };
      this.byMailbox.set(mailbox, held);
    }
    held.holders++;
    const lease = held;
    let released = false;
    return {
      gate: lease.gate,
      release: () => {
        if (released) return;
        released = true;
        lease.holders--;
      },
    };
  }
}
