export type VersionListener = (version: number) => void;

/** The listeners that stores' `watch` registers, per scope. */
export class ScopeListeners {
  private readonly byScope = new Map<string, Set<VersionListener>>();

  /** @param onError hears a listener that throws, so that the other listeners still run. */
  constructor(private readonly onError: (error: unknown) => void) {}

  /** How many scopes have listeners. */
  get size(): number {
    return this.byScope.size;
  }

  /** Adds a listener; the returned function removes it, and is safe to call twice. */
  add(scope: string, listener: VersionListener): () => void {
    let set = this.byScope.get(scope);
    if (!set) this.byScope.set(scope, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      // Only this set: after it emptied once, a later watch of the scope made a new one.
      if (set.size === 0 && this.byScope.get(scope) === set) this.byScope.delete(scope);
    };
  }

  has(scope: string): boolean {
    return this.byScope.has(scope);
  }

  scopes(): string[] {
    return [...this.byScope.keys()];
  }

  clear(): void {
    this.byScope.clear();
  }

  /** Calls every listener of the scope, in the caller's turn. */
  emit(scope: string, version: number): void {
    for (const listener of this.byScope.get(scope) ?? []) {
      try {
        listener(version);
      } catch (error) {
        this.onError(error);
      }
    }
  }
}
