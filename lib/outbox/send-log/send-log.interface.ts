import type {
  OutboxStatus,
  OutboxSummary,
  SendLogEntry,
  SendLogPage,
  SendLogQuery,
} from '../../interfaces/outbox.interface';

/** How an update may apply: only from these statuses, and whether it counts an attempt. */
export interface SendLogGuard {
  /**
   * The statuses the entry may have for the update to apply (compare and set): a writer names the
   * statuses it last saw, so that it never overwrites a later state. `sent` is never left.
   * @default every status but `sent`
   */
  from?: readonly OutboxStatus[];
  /** Adds one to `attempts`, in the same atomic step. */
  countAttempt?: boolean;
  /** The entry's creation time (epoch ms) when the caller knows it: saves a read on Redis. */
  createdMs?: number;
  /**
   * For an update into `sending` (an attempt begins): the most messages of the tenant `sending`
   * at once, over every replica. At it, the update does not apply and the message is parked
   * (`parked`) until an update out of `sending` unparks it.
   */
  share?: number;
  /**
   * The job's first take (BullMQ's `attemptsStarted` is 1): only a job taken before can have been
   * parked, so a begin with this set does not look for the message among the parked.
   */
  firstTake?: boolean;
  /**
   * This writer's last update of the entry: while the entry is still as that left it, Redis
   * writes this one without reading it first (a command less); otherwise it reads as ever.
   */
  lastWrite?: Pick<SendLogUpdate, 'stored'>;
}

/** The entry after an update (`null`: no such entry), and whether the update applied. */
export interface SendLogUpdate {
  entry: SendLogEntry | null;
  applied: boolean;
  /** The tenant was at its share: the message waits for a place (see SendLogGuard.share). */
  parked?: boolean;
  /**
   * A place freed by this update out of `sending`: the parked messages it goes to, for the caller
   * to make due (PostgreSQL makes due itself those whose jobs sleep, and names only the others).
   */
  unparked?: string[];
  /** The entry as this update stored it (Redis, when it applied): see SendLogGuard.lastWrite. */
  stored?: string;
}

/**
 * The outbox's send log: one entry per message, per tenant, kept `retention.logTtlMs` and at most
 * `retention.logMaxCount` per tenant. Never a body or an attachment. Implementations: Redis (in the
 * outbox's Redis, under its prefix) and PostgreSQL (a table in the outbox's schema). The outbox
 * writes an entry together with its job (see OutboxEnqueueWriter); `add` is the entry alone.
 */
export interface SendLog {
  add(entry: SendLogEntry): Promise<void>;
  /**
   * Merges `patch` (and a new `updatedAt` if it has none) when the entry's status passes `guard`,
   * in one atomic step; `entry` is the entry after, or as it is when the update did not apply.
   */
  update(
    tenant: string,
    id: string,
    patch: Partial<SendLogEntry>,
    guard?: SendLogGuard,
  ): Promise<SendLogUpdate>;
  get(tenant: string, id: string): Promise<SendLogEntry | null>;
  /** Newest first. */
  list(tenant: string, query: SendLogQuery & { limit: number }): Promise<SendLogPage>;
  /** Whether the message waits in its tenant's parked set (see SendLogGuard.share). */
  isParked(tenant: string, id: string): Promise<boolean>;
  /** The tenant's parked messages, longest parked first. */
  parkedIds(tenant: string): Promise<string[]>;
  /**
   * The safety net for a lost unparking (PostgreSQL; see the outbox's periodic work): per tenant
   * with parked messages and places free under `share`, unparks that many, longest parked first.
   * The ids whose jobs did not sleep yet, for the caller to make due (the others it made due).
   */
  unparkStranded?(share: number): Promise<string[]>;
  /** The ids of the tenant's messages whose status is `held`. */
  heldIds(tenant: string): Promise<string[]>;
  summary(tenant: string, now: number): Promise<Omit<OutboxSummary, 'rateLimit' | 'waiting'>>;
  /** Removes what is older than the retention, and over the count per tenant. */
  prune(now: number): Promise<void>;
  /** Closes only the connections the log opened itself. */
  close(): Promise<void>;
}
