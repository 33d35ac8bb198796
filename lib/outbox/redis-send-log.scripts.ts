import type { OutboxStatus } from '../interfaces/outbox.interface';

/** The keys of the Redis send log, all under `<prefix>:`. */
export class RedisLogKeys {
  constructor(private readonly prefix: string) {}

  /** An entry (JSON). */
  entry(tenant: string, id: string): string {
    return `${this.prefix}:log:${tenant}:${id}`;
  }

  /** All of a tenant's entries, or its settled ones. */
  index(tenant: string, name: 'all' | 'settled'): string {
    return `${this.prefix}:logidx:${tenant}:${name}`;
  }

  status(tenant: string, status: OutboxStatus): string {
    return `${this.statusPrefix(tenant)}${status}`;
  }

  statusPrefix(tenant: string): string {
    return `${this.prefix}:logidx:${tenant}:status:`;
  }

  /** An hour's counts (a hash: sent, failed, held), by the hour's start in epoch ms. */
  hour(tenant: string, hour: number): string {
    return `${this.prefix}:loghour:${tenant}:${hour}`;
  }

  /** The tenants with entries. */
  tenants(): string {
    return `${this.prefix}:logtenants`;
  }

  idempotency(tenant: string, keyHash: string): string {
    return `${this.prefix}:idem:${tenant}:${keyHash}`;
  }
}

/*
 * The Lua scripts of the Redis send log: each change of an entry and of its indexes is one atomic
 * step, so that a replica that stops halfway leaves no entry outside its indexes.
 *
 * Members of the index sets are order keys (`<15-digit creation ms>:<id>`, see send-log-entries.ts),
 * scored 0 so that Redis orders them by the string, except the settled set, scored by `updatedAt`.
 */

/**
 * KEYS: entry, all, status set, settled set, tenants set, hourly hash.
 * ARGV: JSON, order key, tenant, settled ('1' or '0'), updatedAt ms, hourly field or '', hourly TTL.
 * 1 when added; 0 when the id is already logged (nothing changes).
 */
export const ADD = `
if not redis.call('SET', KEYS[1], ARGV[1], 'NX') then return 0 end
redis.call('ZADD', KEYS[2], 0, ARGV[2])
redis.call('ZADD', KEYS[3], 0, ARGV[2])
if ARGV[4] == '1' then redis.call('ZADD', KEYS[4], ARGV[5], ARGV[2]) end
redis.call('SADD', KEYS[5], ARGV[3])
if ARGV[6] ~= '' then
  redis.call('HINCRBY', KEYS[6], ARGV[6], 1)
  redis.call('PEXPIRE', KEYS[6], ARGV[7])
end
return 1`;

/**
 * Compare and set. KEYS: entry, old status set, new status set, settled set, hourly hash.
 * ARGV: the JSON read, the new JSON, order key, status changed ('1' or '0'), settled ('1' or '0'),
 * updatedAt ms, hourly field or '', hourly TTL.
 * 1 when written; 0 when the entry changed (or went) since it was read.
 */
export const UPDATE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
if ARGV[4] == '1' then
  redis.call('ZREM', KEYS[2], ARGV[3])
  redis.call('ZADD', KEYS[3], 0, ARGV[3])
  if ARGV[7] ~= '' then
    redis.call('HINCRBY', KEYS[5], ARGV[7], 1)
    redis.call('PEXPIRE', KEYS[5], ARGV[8])
  end
end
if ARGV[5] == '1' then
  redis.call('ZADD', KEYS[4], ARGV[6], ARGV[3])
else
  redis.call('ZREM', KEYS[4], ARGV[3])
end
return 1`;

/**
 * KEYS: idempotency key. ARGV: id, TTL ms. The id that holds the key: this one if it was free.
 */
export const CLAIM = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return ARGV[1] end
return redis.call('GET', KEYS[1])`;

/**
 * One batch of a tenant's prune: settled entries last changed at or before the cutoff, then the
 * oldest settled ones while the tenant holds more than the most. Waiting entries are never removed.
 * KEYS: all, settled set, tenants set.
 * ARGV: cutoff ms, most entries, tenant, entry key prefix, status set prefix, batch size.
 * How many entries went (at most twice the batch).
 */
export const PRUNE = `
local removed = 0
local function drop(member)
  redis.call('DEL', ARGV[4] .. string.sub(member, 17))
  redis.call('ZREM', KEYS[1], member)
  redis.call('ZREM', KEYS[2], member)
  for _, status in ipairs({'sent', 'failed', 'uncertain'}) do
    redis.call('ZREM', ARGV[5] .. status, member)
  end
  removed = removed + 1
end
for _, member in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, ARGV[6])) do
  drop(member)
end
local over = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[2])
if over > 0 then
  for _, member in ipairs(redis.call('ZRANGE', KEYS[2], 0, math.min(over, tonumber(ARGV[6])) - 1)) do
    drop(member)
  end
end
if redis.call('ZCARD', KEYS[1]) == 0 then redis.call('SREM', KEYS[3], ARGV[3]) end
return removed`;
