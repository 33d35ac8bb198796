/**
 * Where a message handed to the outbox is: `queued` (waiting for a worker, or for its delay or next
 * attempt), `sending`, `held` (its tenant's configuration cannot send: saving settings releases it),
 * `sent`, `failed` (permanently, or after the retry window) or `uncertain` (the connection failed
 * after the whole message was written: never retried automatically).
 */
export type OutboxStatus = 'queued' | 'sending' | 'held' | 'sent' | 'failed' | 'uncertain';

/** Every status, in the order of a message's life. */
export const OUTBOX_STATUSES: readonly OutboxStatus[] = [
  'queued',
  'sending',
  'held',
  'sent',
  'failed',
  'uncertain',
];

/** What `MailerService.enqueue` takes beside the message. */
export interface EnqueueOptions {
  /** @default the default tenant */
  tenant?: string;
  /**
   * A second enqueue with the same key for the same tenant, within the log's retention, returns the
   * first message's id and queues nothing.
   */
  idempotencyKey?: string;
  /** Milliseconds to wait before the first attempt. */
  delay?: number;
}

/** The message is in the queue's store. */
export interface EnqueueResult {
  id: string;
  status: 'queued';
}

/** The last failure of a message, in the admin's words. Never a secret. */
export interface OutboxError {
  code: string;
  stage?: string;
  message: string;
  at: string;
}

/** One message of the send log: never its body or an attachment. */
export interface SendLogEntry {
  id: string;
  tenant: string;
  /** ISO 8601. */
  createdAt: string;
  updatedAt: string;
  status: OutboxStatus;
  recipientCount: number;
  recipients: string[];
  subject: string | null;
  attempts: number;
  lastError: OutboxError | null;
  route: 'relay' | 'custom' | null;
  settingsVersion: number | null;
  /**
   * Which of the tenant's connections took the message: `backup` after a failover. `null` (or
   * absent, in entries written before it existed) until it is sent, and for the relay.
   */
  connection?: 'main' | 'backup' | null;
  /** The `Message-ID` set at enqueue, which every attempt carries. */
  messageId: string;
  /** The server's reply when sent. */
  response: string | null;
  /** Why the message is held, while it is. */
  heldReason: string | null;
}

/** Sent, failed and held messages of one hour (the hour's start, ISO 8601). */
export interface OutboxHourlyBucket {
  hour: string;
  sent: number;
  failed: number;
  held: number;
}

/** The rate limit that applies to the tenant's current route, and how much of it is used. */
export interface OutboxRateLimitState {
  /** At most `limit` messages in any window of `windowMs` milliseconds. */
  limit: number;
  windowMs: number;
  /** Messages counted in the current window. */
  used?: number;
}

/** A tenant's outbox at a glance. */
export interface OutboxSummary {
  tenant: string;
  counts: Record<OutboxStatus, number>;
  /** Creation time of the oldest message still waiting (queued, sending or held). */
  oldestWaitingAt: string | null;
  oldestWaitingAgeMs: number | null;
  rateLimit: OutboxRateLimitState | null;
  /**
   * Why the tenant's mail waits, as this replica's worker found it: `held` (its configuration
   * cannot send) or `deferred` (its provider asked for a pause), the reason, and when the next
   * attempt (one message, the probe) is due. `null` when nothing waits here.
   */
  waiting: OutboxWaitingState | null;
  /** The last 24 hours, oldest first. */
  hourly: OutboxHourlyBucket[];
}

/**
 * Why a tenant's mail waits behind one probe message: `held` (the settings cannot send),
 * `deferred` (the provider asked for a pause), `retrying` (the server cannot be reached or did not
 * finish: one message tries it, with backoff, the others stay `queued`).
 */
export interface OutboxWaitingState {
  kind: 'held' | 'deferred' | 'retrying';
  reason: string;
  nextAttemptAt: string;
}

/**
 * What `alerts$` and the `onAlert` option report. Each names the tenant and carries no secret.
 * `failover` and `failback` come from direct sends (`MailerService.alerts$` and `onAlert`): the
 * main connection could not take a message and the backup connection took it (`reason` says why),
 * and later the main connection took a message again.
 */
export type OutboxAlert =
  | { type: 'held'; tenant: string; reason: string; at: string }
  | {
      type: 'failed';
      tenant: string;
      id: string;
      messageId: string;
      code: string;
      message: string;
      at: string;
    }
  | { type: 'backlog'; tenant: string; oldestWaitingAgeMs: number; at: string }
  | { type: 'recovered'; tenant: string; at: string }
  | { type: 'failover'; tenant: string; reason: string; at: string }
  | { type: 'failback'; tenant: string; at: string };

/** A page of the send log, newest first. */
export interface SendLogPage {
  items: SendLogEntry[];
  nextCursor: string | null;
}

/** Which entries of the send log to list. */
export interface SendLogQuery {
  status?: OutboxStatus;
  /** @default 50 */
  limit?: number;
  cursor?: string;
}
