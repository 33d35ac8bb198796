/** A shared value that its holder gives back with `release` (once; later calls do nothing). */
export interface Lease<T> {
  readonly value: T;
  release(): void;
}

interface Held<T> {
  value: T;
  holders: number;
}

/**
 * One value per key, shared by everyone who leases the key (a tenant's retiring channel and its new
 * one, an admin check): saving settings must not reset a mailbox's budget or its token. A value that
 * no lease holds is dropped once `idle` says it has nothing left to do, at its last release or on a
 * later lease, so that the channels of many tenants leave nothing behind.
 */
export class KeyedLeases<T> {
  private readonly byKey = new Map<string, Held<T>>();

  constructor(private readonly idle: (value: T) => boolean = () => true) {}

  /** Values held or not yet idle. */
  get size(): number {
    return this.byKey.size;
  }

  /** The value of `key` while some lease holds it or it is not idle yet. */
  get(key: string): T | undefined {
    return this.byKey.get(key)?.value;
  }

  /** Takes a lease on the value of `key`, made with `create` when there is none. */
  lease(key: string, create: () => T): Lease<T> {
    this.prune();
    let held = this.byKey.get(key);
    if (!held) {
      held = { value: create(), holders: 0 };
      this.byKey.set(key, held);
    }
    held.holders++;
    const lease = held;
    let released = false;
    return {
      value: lease.value,
      release: () => {
        if (released) return;
        released = true;
        if (--lease.holders === 0 && this.idle(lease.value) && this.byKey.get(key) === lease) {
          this.byKey.delete(key);
        }
      },
    };
  }

  private prune(): void {
    for (const [key, held] of this.byKey) {
      if (held.holders === 0 && this.idle(held.value)) this.byKey.delete(key);
    }
  }
}
