/** Tenants remembered at most; beyond it the longest proven starts again at one attempt. */
const MAX_TENANTS = 10_000;

/**
 * The tenants whose server has taken a message from this worker with their current settings.
 * Until then a tenant has one attempt at a time here: a server that stalls or never greets holds
 * one slot for an attempt's deadline, not the tenant's whole share (two such tenants would
 * otherwise fill a worker of four). The first attempt begins with the tenant's whole share, as any
 * would (places of a crashed worker's attempts still count for a while); the next ones, while it
 * runs, begin with a share of one, which its own place fills: they park, as they do at a full
 * share, and go as attempts end, and all of the share's places once the server took a message.
 */
export class ProvenTenants {
  private readonly versions = new Map<string, number>();
  /** The jobs of unproven tenants whose attempts are under way here. */
  private readonly running = new Map<string, Set<string>>();
  /** An unproven tenant's begins, one at a time: each sees the places the previous one took. */
  private readonly turns = new Map<string, Promise<unknown>>();

  /** Begins job `id`'s attempt with the tenant's share, or a share of one as above. */
  async begin<T extends { applied: boolean }>(
    tenant: string,
    id: string,
    version: number,
    share: number,
    begin: (share: number) => Promise<T>,
  ): Promise<T> {
    if (this.versions.get(tenant) === version) return begin(share);
    const turn = (this.turns.get(tenant) ?? Promise.resolve()).then(async () => {
      const began = await begin(this.running.has(tenant) ? 1 : share);
      if (began.applied) this.running.set(tenant, (this.running.get(tenant) ?? new Set()).add(id));
      return began;
    });
    const settled = turn.catch(() => undefined);
    this.turns.set(tenant, settled);
    void settled.then(() => {
      if (this.turns.get(tenant) === settled) this.turns.delete(tenant);
    });
    return turn;
  }

  /** Job `id`'s attempt is over, whatever its outcome. */
  ended(tenant: string, id: string): void {
    const running = this.running.get(tenant);
    if (running?.delete(id) && running.size === 0) this.running.delete(tenant);
  }

  /** The server took a message with these settings; whether the tenant was not proven before. */
  prove(tenant: string, version: number): boolean {
    if (this.versions.get(tenant) === version) return false;
    this.versions.delete(tenant);
    this.versions.set(tenant, version);
    if (this.versions.size > MAX_TENANTS) {
      this.versions.delete(this.versions.keys().next().value!);
    }
    return true;
  }
}
