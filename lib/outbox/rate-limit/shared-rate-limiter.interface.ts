/**
 * A sliding-window limit shared by every worker of every replica (in the outbox's Redis or
 * PostgreSQL): the Microsoft 365 budget per mailbox, the relay's `rateLimit`.
 */
export interface SharedRateLimiter {
  /**
   * Takes one slot of `key`'s window when there is one: resolves 0 (granted now), else the
   * milliseconds until the slot booked for `ticket` (nothing is taken now). Bookings are spaced
   * window / limit apart, so that a backlog comes due a window's worth at a time; the caller that
   * comes back with its ticket at its time goes ahead of callers without one.
   */
  acquire(key: string, limit: number, windowMs: number, ticket?: string): Promise<number>;
  /**
   * Books `ticket` the key's next slot without taking one: resolves the milliseconds until it (0:
   * the window has room now). The ticket's `acquire` at that time is granted, as a refused
   * caller's is. For a message enqueued over the limit: its job sleeps until its slot from the
   * start, and no worker takes it only to book it.
   */
  book?(key: string, limit: number, windowMs: number, ticket: string): Promise<number>;
  /**
   * The attempt of this limiter's earliest unsettled grant of `key` is over (the server has the
   * message, or the attempt failed): the slot now counts from this moment, so that a slow first
   * connection (TLS, a token) does not let the next window's messages arrive within a window of it.
   */
  settle?(key: string, windowMs: number): Promise<void>;
  /** How many slots of `key` the current window holds, for the outbox summary. */
  used?(key: string, windowMs: number): Promise<number>;
  /** Closes only the connections the limiter opened itself. */
  close?(): Promise<void>;
}
