/**
 * The durable outbox: `MailerService.enqueue` hands a message to a BullMQ queue (Redis or
 * PostgreSQL) shared by every replica, and workers deliver it through the live transport. `bullmq`
 * is an optional peer, loaded only when this option is given, with `ioredis` or `pg` as the backend
 * needs.
 */
export interface OutboxOptions {
  /** The queue's store: Redis (through ioredis) or PostgreSQL (through pg). */
  backend: 'redis' | 'postgres';
  /**
   * Redis: a `redis://` URL (database index included) or ioredis options. PostgreSQL: a URL, a
   * `pg.Pool` (which may be the settings store's) or a `pg` pool config. The outbox closes only
   * the connections it opened itself.
   */
  connection: string | object;
  /**
   * The BullMQ key prefix (Redis) or the schema of the queue's and the send log's tables (PostgreSQL).
   * @default 'nest_smtp_settings'
   */
  prefix?: string;
  /**
   * The name of the queue.
   * @default 'smtp-outbox'
   */
  queueName?: string;
  /**
   * Run a worker in this app. `false` for replicas that only enqueue (an API-only replica).
   * @default true
   */
  worker?: boolean;
  /**
   * Messages a worker delivers at once.
   * @default 4
   */
  concurrency?: number;
  /**
   * How long transient failures are retried, since the message was enqueued, in milliseconds;
   * after that the message fails.
   * @default 86400000 (24 hours)
   */
  retryWindowMs?: number;
  /**
   * Exponential backoff between attempts: the base delay doubles with each attempt, up to the most.
   * @default { baseDelayMs: 5000, maxDelayMs: 600000 }
   */
  backoff?: { baseDelayMs?: number; maxDelayMs?: number };
  /**
   * A message held because of its tenant's configuration is tried again this often, in
   * milliseconds, even without a settings change (a saved change releases it at once).
   * @default 600000 (10 minutes)
   */
  holdRecheckMs?: number;
  /**
   * How long a message may stay held (its tenant's configuration cannot send, or its provider
   * asked for a pause) before it fails with the reason it waited for, and a `failed` alert. Its
   * body stays in the store that long.
   * @default 604800000 (7 days)
   */
  holdWindowMs?: number;
  /**
   * The most attempts one tenant has in flight at once, over every worker of every replica: a
   * tenant whose server stalls, or that sends a burst, takes at most this many of the workers'
   * slots; its other messages wait without taking one. An app with one tenant sets it to its
   * workers' concurrency times its replicas.
   * @default half of `concurrency` (2 at the default of 4), at least 1
   */
  tenantConcurrency?: number;
  /**
   * How long `app.close()` waits for the attempts in flight: past it their connections are closed.
   * One interrupted before the end of its message goes back to the queue; after, it is `uncertain`.
   * @default 10000
   */
  shutdownTimeoutMs?: number;
  /**
   * How long and how many send log entries are kept.
   * @default { logTtlMs: 604800000 (7 days), logMaxCount: 10000 (per tenant) }
   */
  retention?: { logTtlMs?: number; logMaxCount?: number };
  /**
   * Alert thresholds: a `backlog` alert when a tenant's oldest waiting message is older than this.
   * @default { oldestWaitingMs: 900000 (15 minutes) }
   */
  alerts?: { oldestWaitingMs?: number };
  /**
   * The largest message `enqueue` takes, in bytes: its texts (UTF-8) and attachments together. A
   * larger one is refused (`MESSAGE_NOT_QUEUEABLE`, field `message`) before anything is stored.
   * @default 10485760 (10 MB)
   */
  maxMessageBytes?: number;
  /**
   * How long a write or read of the queue's store may take, in milliseconds. A read past it is
   * `OUTBOX_UNAVAILABLE`; a write past it is `OUTBOX_UNCERTAIN` (it may still land: retry with the
   * same idempotency key).
   * @default 10000
   */
  storeTimeoutMs?: number;
  /**
   * The deadline of each attempt to deliver a message, in milliseconds, the server's last reply
   * included: past it the connection is closed and the worker's slot is free again. Before the end
   * of the message the attempt is transient (tried again later); after the final dot it is
   * `uncertain` (never sent again). The worker sends through the same transport as `send`, so this
   * is the module's `attemptTimeoutMs` under the outbox's options: give one of the two (different
   * values are refused at startup).
   * @default 60000
   */
  attemptTimeoutMs?: number;
  /**
   * BullMQ's own OpenTelemetry spans (adding a job, processing it), handed to the outbox's queue
   * and worker as BullMQ's `telemetry` option: `new BullMQOtel('my-app')` from `bullmq-otel`. The
   * module's own spans (`smtp.enqueue`, `smtp.attempt`) need no option: see the README.
   * @default none: BullMQ makes no span
   */
  telemetry?: object;
}

/** Where the outbox keeps its queue: Redis (through ioredis) or PostgreSQL (through pg). */
export type OutboxBackend = OutboxOptions['backend'];
