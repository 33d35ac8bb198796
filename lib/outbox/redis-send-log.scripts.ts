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
 * An update that applies only from the statuses its writer names (compare and set on the status,
 * in Redis, so that nothing is read first): merges the patch, counts an attempt if asked, moves the
 * entry between the status sets and counts the hour's transition.
 * KEYS: entry, settled set, hourly hash.
 * ARGV: allowed statuses (',queued,held,'), the patch (JSON, with updatedAt), order key, updatedAt
 * ms, hourly TTL, status set prefix, count an attempt ('1' or '0').
 * { 1, entry } when applied; { 0, entry } when the status did not allow it; { 0 } without entry.
 */
export const TRANSITION = `
local raw = redis.call('GET', KEYS[1])
if not raw then return {0} end
local entry = cjson.decode(raw)
local from = entry.status
if not string.find(ARGV[1], ',' .. from .. ',', 1, true) then return {0, raw} end
for field, value in pairs(cjson.decode(ARGV[2])) do entry[field] = value end
if ARGV[7] == '1' then entry.attempts = (tonumber(entry.attempts) or 0) + 1 end
local written = cjson.encode(entry)
redis.call('SET', KEYS[1], written)
local to = entry.status
if to ~= from then
  redis.call('ZREM', ARGV[6] .. from, ARGV[3])
  redis.call('ZADD', ARGV[6] .. to, 0, ARGV[3])
  if to == 'sent' or to == 'failed' or to == 'held' then
    redis.call('HINCRBY', KEYS[3], to, 1)
    redis.call('PEXPIRE', KEYS[3], ARGV[5])
  end
end
if to == 'sent' or to == 'failed' or to == 'uncertain' then
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[3])
elseif from == 'sent' or from == 'failed' or from == 'uncertain' then
  redis.call('ZREM', KEYS[2], ARGV[3])
end
return {1, written}`;

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
