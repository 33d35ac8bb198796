/** Hears that a tenant changed, and its new version. */
export type ChangeListener = (tenant: string, version: number) => void;

/** The listeners that stores' `watch` registers: each hears every tenant. */
export class TenantListeners {
  private readonly listeners = new Set<ChangeListener>();

  /** @param onError hears a listener that throws, so that the other listeners still run. */
  constructor(private readonly onError: (error: unknown) => void) {}

  /** How many listeners there are. */
  get size(): number {
    return this.listeners.size;
  }

  /** Adds a listener; the returned function removes it, and is safe to call twice. */
  add(listener: ChangeListener): () => void {
    // A wrapper, so that one function watching twice is two subscriptions, removed one at a time.
    const entry: ChangeListener = (tenant, version) => listener(tenant, version);
    this.listeners.add(entry);
    return () => void this.listeners.delete(entry);
  }

  clear(): void {
    this.listeners.clear();
  }

  /** Calls every listener, in the caller's turn. A listener removed meanwhile is skipped. */
  emit(tenant: string, version: number): void {
    for (const listener of this.listeners) {
      try {
        listener(tenant, version);
      } catch (error) {
        this.onError(error);
      }
    }
  }
}
