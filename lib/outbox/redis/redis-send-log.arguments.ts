import { hash } from 'node:crypto';
import type { SendLogEntry } from '../../interfaces/outbox.interface';
import type { SendLogGuard } from '../send-log/send-log.interface';
import {
  HOURLY_KEEP_MS,
  hourlyStatusOf,
  hourOf,
  isSettled,
  orderKey,
  timeOf,
  updatableFrom,
} from '../send-log/send-log-entries';
import type { RedisLogKeys } from './redis-send-log.scripts';

/** One update's keys and arguments for the transition script, in its order. */
export interface Transition {
  keys: string[];
  args: Array<string | number>;
}

/** The keys and arguments of the transition script for one update (see TRANSITION). */
export function transitionArguments(
  keys: RedisLogKeys,
  update: {
    tenant: string;
    id: string;
    createdMs: number;
    changes: Partial<SendLogEntry> & { updatedAt: string };
    guard: SendLogGuard;
  },
  options: { jobKeyPrefix?: string },
): Transition {
  const { tenant, id, createdMs, changes, guard } = update;
  const updatedMs = timeOf(changes.updatedAt, 'updatedAt');
  const ahead = guard.countAttempt ? undefined : writtenAhead(guard.lastWrite?.stored, changes);
  return {
    keys: [keys.entry(tenant, id), keys.index(tenant, 'settled'), keys.parked(tenant)],
    args: [
      `,${updatableFrom(guard.from).join(',')},`,
      JSON.stringify(changes),
      orderKey(createdMs, id),
      updatedMs,
      keys.statusPrefix(tenant),
      guard.countAttempt ? '1' : '0',
      guard.share ?? 0,
      options.jobKeyPrefix ?? '',
      guard.firstTake ? '0' : '1',
      ahead?.sha1 ?? '',
      ahead?.entry ?? '',
    ],
  };
}

/**
 * The entry an update makes of the one its writer last stored, and that one's SHA-1: the script
 * writes it without a read when the stored entry is still that one (see TRANSITION).
 */
function writtenAhead(
  stored: string | undefined,
  changes: Partial<SendLogEntry>,
): { sha1: string; entry: string } | undefined {
  if (stored === undefined) return undefined;
  const entry = JSON.stringify({ ...(JSON.parse(stored) as object), ...changes });
  // crypto.hash, one call: 0.7 µs here against 2.4 for createHash, update and digest.
  return { sha1: hash('sha1', stored), entry };
}

/**
 * The keys and arguments of the add script for `entry` (also queued in the enqueue's MULTI): the
 * script takes a batch, all the keys first, then all the arguments.
 */
export function addArguments(
  keys: RedisLogKeys,
  entry: SendLogEntry,
): { keys: string[]; args: Array<string | number> } {
  const createdMs = timeOf(entry.createdAt, 'createdAt');
  const updatedMs = timeOf(entry.updatedAt, 'updatedAt');
  return {
    keys: [
      keys.entry(entry.tenant, entry.id),
      keys.index(entry.tenant, 'all'),
      keys.status(entry.tenant, entry.status),
      keys.index(entry.tenant, 'settled'),
      keys.tenants(),
      keys.hour(entry.tenant, hourOf(updatedMs)),
    ],
    args: [
      JSON.stringify(entry),
      orderKey(createdMs, entry.id),
      entry.tenant,
      isSettled(entry.status) ? '1' : '0',
      updatedMs,
      hourlyStatusOf(entry.status) ?? '',
      HOURLY_KEEP_MS,
    ],
  };
}
