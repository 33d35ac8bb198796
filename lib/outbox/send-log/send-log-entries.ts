import { InvalidCursorError } from '../../errors/invalid-cursor.error';
export { CURSOR_PROBLEM } from '../../errors/invalid-cursor.error';
import {
  OUTBOX_STATUSES,
  type OutboxHourlyBucket,
  type OutboxStatus,
  type OutboxSummary,
  type SendLogEntry,
} from '../../interfaces/outbox.interface';

/*
 * What the Redis and the PostgreSQL send logs share, so that both keep the same rules:
 *
 * - An entry is settled once it is `sent`, `failed` or `uncertain`: its message left the queue.
 *   Settled entries are pruned `logTtlMs` after their last change, and the oldest settled ones go
 *   first when a tenant holds more than `logMaxCount` entries. Waiting entries (`queued`, `sending`,
 *   `held`) are never pruned: their message is still in the queue.
 * - The hourly buckets count transitions: a message counts as held in the hour it became held, and
 *   as sent (or failed) in the hour it was sent (or failed), so a held message later sent shows in
 *   both.
 * - Listing is newest first by creation time, then by id; the cursor names the last entry of a page.
 */

export const SETTLED_STATUSES: readonly OutboxStatus[] = ['sent', 'failed', 'uncertain'];
export const WAITING_STATUSES: readonly OutboxStatus[] = ['queued', 'sending', 'held'];
/** The statuses that the hourly buckets count. */
export const HOURLY_STATUSES = ['sent', 'failed', 'held'] as const;
export type HourlyStatus = (typeof HOURLY_STATUSES)[number];

export const HOUR_MS = 3_600_000;
/** 24 buckets, and one more hour so that the oldest bucket is whole until the next one starts. */
export const HOURLY_KEEP_MS = 25 * HOUR_MS;

/** Every status but `sent`, which is final: what an update applies from unless it says otherwise. */
export const NOT_SENT: readonly OutboxStatus[] = OUTBOX_STATUSES.filter(
  (status) => status !== 'sent',
);

/** The statuses an update may apply from: those it names, never `sent`. */
export function updatableFrom(from: readonly OutboxStatus[] = NOT_SENT): OutboxStatus[] {
  return from.filter((status) => status !== 'sent');
}

export function isSettled(status: OutboxStatus): boolean {
  return SETTLED_STATUSES.includes(status);
}

export function isOutboxStatus(value: unknown): value is OutboxStatus {
  return typeof value === 'string' && (OUTBOX_STATUSES as readonly string[]).includes(value);
}

export function hourlyStatusOf(status: OutboxStatus): HourlyStatus | null {
  return (HOURLY_STATUSES as readonly string[]).includes(status) ? (status as HourlyStatus) : null;
}

/**
 * What `patch` changes: its defined fields but the id, tenant and creation time (which never
 * change), and `updatedAt`, now unless the patch gives one.
 */
export function changesOf(
  patch: Partial<SendLogEntry>,
  now = new Date(),
): Partial<SendLogEntry> & { updatedAt: string } {
  // A loop, not entries, filter and fromEntries: this runs for every update of the log.
  const changes: Record<string, unknown> = {};
  for (const key in patch) {
    const value = (patch as Record<string, unknown>)[key];
    if (value !== undefined && key !== 'id' && key !== 'tenant' && key !== 'createdAt') {
      changes[key] = value;
    }
  }
  changes.updatedAt ??= now.toISOString();
  return changes as Partial<SendLogEntry> & { updatedAt: string };
}

/**
 * An entry as a store gives it back. Redis's cjson writes an empty array as `{}`: a list field that
 * is not an array is an empty one.
 */
export function parseEntry(json: string): SendLogEntry {
  const entry = JSON.parse(json) as SendLogEntry;
  if (!Array.isArray(entry.recipients)) entry.recipients = [];
  return entry;
}

/** Milliseconds since the epoch of an entry's ISO 8601 timestamp; refuses anything else. */
export function timeOf(iso: string, field: string): number {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new Error(`send log: ${field} is not a date: ${iso}`);
  return ms;
}

/**
 * The entries' order as one string: the creation time (15 digits) then the id, so that sorting
 * these strings sorts by creation time, then id.
 */
export function orderKey(createdMs: number, id: string): string {
  return `${String(createdMs).padStart(15, '0')}:${id}`;
}

export function parseOrderKey(key: string): { createdMs: number; id: string } {
  const at = key.indexOf(':');
  return { createdMs: Number(key.slice(0, at)), id: key.slice(at + 1) };
}

/** An id as enqueue gives them (a UUID) or as an app might: printable ASCII, no more than 200. */
export const MESSAGE_ID_MAX_LENGTH = 200;
const MESSAGE_ID = new RegExp(`^[\\x21-\\x7e]{1,${MESSAGE_ID_MAX_LENGTH}}$`);
const CURSOR = /^(\d{1,15}):([\x21-\x7e]{1,200})$/;
/** 9999-12-31T23:59:59.999Z: past it, a date has no four-digit year, and no entry was made then. */
const LAST_CREATED_MS = 253_402_300_799_999;

/** Whether `id` can be a message's: anything else is no message, without asking the store. */
export function isMessageId(id: unknown): id is string {
  return typeof id === 'string' && MESSAGE_ID.test(id);
}

/** The cursor after `entry`: opaque to callers, the same on both backends. */
export function cursorAfter(entry: Pick<SendLogEntry, 'createdAt' | 'id'>): string {
  const createdMs = timeOf(entry.createdAt, 'createdAt');
  return Buffer.from(`${createdMs}:${entry.id}`, 'utf8').toString('base64url');
}

/** The entry a cursor names; a cursor that no page could have given is `InvalidCursorError`. */
export function parseCursor(cursor: string): { createdMs: number; id: string } {
  const decoded = /^[A-Za-z0-9_-]{1,400}$/.test(cursor)
    ? Buffer.from(cursor, 'base64url').toString('utf8')
    : '';
  const match = CURSOR.exec(decoded);
  const createdMs = Number(match?.[1]);
  if (!match || !(createdMs <= LAST_CREATED_MS)) throw new InvalidCursorError();
  return { createdMs, id: match[2]! };
}

/** The start of the hour that holds `ms`. */
export function hourOf(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

/** The starts of the last 24 hours, oldest first, the current one last. */
export function last24Hours(now: number): number[] {
  const current = hourOf(now);
  return Array.from({ length: 24 }, (_, i) => current - (23 - i) * HOUR_MS);
}

/** One hour of the chart; counts a store has none of are 0 (stores hand numbers or strings). */
export function hourlyBucket(
  hour: number,
  counts: Partial<Record<HourlyStatus, number | string>> = {},
): OutboxHourlyBucket {
  const count = (status: HourlyStatus) => Number(counts[status] ?? 0);
  return {
    hour: new Date(hour).toISOString(),
    sent: count('sent'),
    failed: count('failed'),
    held: count('held'),
  };
}

/** The summary both logs answer, from their counts, oldest waiting time and hours. */
export function summaryOf(
  tenant: string,
  counts: Record<OutboxStatus, number>,
  oldest: number | null,
  hourly: OutboxHourlyBucket[],
  now: number,
): Omit<OutboxSummary, 'rateLimit' | 'waiting'> {
  return {
    tenant,
    counts,
    oldestWaitingAt: oldest === null ? null : new Date(oldest).toISOString(),
    oldestWaitingAgeMs: oldest === null ? null : Math.max(0, now - oldest),
    hourly,
  };
}

export function zeroCounts(): Record<OutboxStatus, number> {
  return Object.fromEntries(OUTBOX_STATUSES.map((s) => [s, 0])) as Record<OutboxStatus, number>;
}
