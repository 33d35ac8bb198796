/** A limit that no window can satisfy would wait forever: refused where it is passed. */
export function assertWindow(limit: number, windowMs: number): void {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`rate limit must be a whole number of 1 or more (got ${limit})`);
  }
  if (!Number.isFinite(windowMs) || windowMs <= 0) {
    throw new RangeError(`rate limit window must be a positive number of ms (got ${windowMs})`);
  }
}
