/**
 * How long a grant counts as in flight when its attempt never settles (its process died): until
 * then it holds its slot, and a window after. An attempt that settles earlier counts from its end.
 */
export const IN_FLIGHT_LEASE_MS = 60_000;

/** A limit that no window can satisfy would wait forever: refused where it is passed. */
export function assertWindow(limit: number, windowMs: number): void {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`rate limit must be a whole number of 1 or more (got ${limit})`);
  }
  if (!Number.isFinite(windowMs) || windowMs <= 0) {
    throw new RangeError(`rate limit window must be a positive number of ms (got ${windowMs})`);
  }
}

/**
 * The grants a limiter gave in this process whose attempt is not over yet, oldest first per key:
 * `settle` re-stamps the oldest one. Grants of one key are interchangeable for counting, so which
 * attempt ended does not matter, only that one did.
 */
export class UnsettledGrants<T> {
  private readonly byKey = new Map<string, T[]>();

  add(key: string, grant: T): void {
    const grants = this.byKey.get(key);
    if (grants) grants.push(grant);
    else this.byKey.set(key, [grant]);
  }

  take(key: string): T | undefined {
    const grants = this.byKey.get(key);
    const grant = grants?.shift();
    if (grants?.length === 0) this.byKey.delete(key);
    return grant;
  }
}
