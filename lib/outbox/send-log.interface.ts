import type {
  OutboxSummary,
  SendLogEntry,
  SendLogPage,
  SendLogQuery,
} from '../interfaces/outbox.interface';

/**
 * The outbox's send log: one entry per message, per tenant, kept `retention.logTtlMs` and at most
 * `retention.logMaxCount` per tenant. Never a body or an attachment. Implementations: Redis (in the
 * outbox's Redis, under its prefix) and PostgreSQL (a table in the outbox's schema).
 */
export interface SendLog {
  add(entry: SendLogEntry): Promise<void>;
  /** Merges `patch` (and a new `updatedAt` if it has none); `null` when there is no such entry. */
  update(tenant: string, id: string, patch: Partial<SendLogEntry>): Promise<SendLogEntry | null>;
  get(tenant: string, id: string): Promise<SendLogEntry | null>;
  /** Newest first. */
  list(tenant: string, query: SendLogQuery & { limit: number }): Promise<SendLogPage>;
  /** The ids of the tenant's messages whose status is `held`. */
  heldIds(tenant: string): Promise<string[]>;
  summary(tenant: string, now: number): Promise<Omit<OutboxSummary, 'rateLimit'>>;
  /**
   * Claims `key` for the message `id` for `ttlMs`: returns `id` if the key was free, else the id of
   * the message that claimed it first (and still holds it).
   */
  claimIdempotencyKey(tenant: string, key: string, id: string, ttlMs: number): Promise<string>;
  /** Removes what is older than the retention, and over the count per tenant. */
  prune(now: number): Promise<void>;
  /** Closes only the connections the log opened itself. */
  close(): Promise<void>;
}
