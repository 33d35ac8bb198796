import type { OutboxStatus } from '../../interfaces/outbox.interface';

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

  /** The tenant's messages waiting for a place under its share (ids, by when they were parked). */
  parked(tenant: string): string {
    return `${this.prefix}:logidx:${tenant}:parked`;
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

/** Lua helpers shared by the scripts below: one ZADD, ZREM or HINCRBY per key for a whole batch. */
const BATCH_HELPERS = `
local function push(lists, key, ...)
  local list = lists[key]
  if not list then list = {}; lists[key] = list end
  for _, value in ipairs({...}) do list[#list + 1] = value end
end
local function count(hours, key, field, ttl)
  local hour = hours[key]
  if not hour then hour = {ttl = ttl, fields = {}}; hours[key] = hour end
  hour.fields[field] = (hour.fields[field] or 0) + 1
end
local function flush(zrems, zadds, hours)
  for key, list in pairs(zrems) do redis.call('ZREM', key, unpack(list)) end
  for key, list in pairs(zadds) do redis.call('ZADD', key, unpack(list)) end
  for key, hour in pairs(hours) do
    for field, n in pairs(hour.fields) do
      -- A new field is a new hour: its expiry is set once, not with every count.
      if redis.call('HINCRBY', key, field, n) == n then redis.call('PEXPIRE', key, hour.ttl) end
    end
  end
end
`;

/**
 * Adds a batch of entries.
 * KEYS, 6 per entry: entry, all, status set, settled set, tenants set, hourly hash.
 * ARGV, 7 per entry: JSON, order key, tenant, settled ('1' or '0'), updatedAt ms, hourly field or
 * '', hourly TTL.
 * Per entry, 1 when added; 0 when the id is already logged (nothing changes for it).
 */
export const ADD = `${BATCH_HELPERS}
local added, zadds, tenants, hours = {}, {}, {}, {}
for i = 0, #KEYS / 6 - 1 do
  local k, a = i * 6, i * 7
  if redis.call('SET', KEYS[k + 1], ARGV[a + 1], 'NX') then
    added[i + 1] = 1
    push(zadds, KEYS[k + 2], 0, ARGV[a + 2])
    push(zadds, KEYS[k + 3], 0, ARGV[a + 2])
    if ARGV[a + 4] == '1' then push(zadds, KEYS[k + 4], ARGV[a + 5], ARGV[a + 2]) end
    tenants[KEYS[k + 5]] = tenants[KEYS[k + 5]] or {}
    tenants[KEYS[k + 5]][ARGV[a + 3]] = true
    if ARGV[a + 6] ~= '' then count(hours, KEYS[k + 6], ARGV[a + 6], ARGV[a + 7]) end
  else
    added[i + 1] = 0
  end
end
for key, set in pairs(tenants) do
  local members = {}
  for member in pairs(set) do members[#members + 1] = member end
  redis.call('SADD', key, unpack(members))
end
flush({}, zadds, hours)
return added`;

/**
 * A batch of updates, each applying only from the statuses its writer names (compare and set on
 * the status, in Redis, so that nothing is read first): merges the patch, counts an attempt if
 * asked, and names the hour's count of each transition (sent, failed, held) for the caller to add
 * up in the process (see RedisHourlyCounts). The status and settled sets move once per entry, from
 * where it was before the batch to where it is after (an entry may be updated twice in one batch).
 *
 * An update into `sending` with a share (a worker beginning an attempt) is admitted only while the
 * tenant has fewer than that many messages `sending` (one already `sending` is its own worker's,
 * come back after a crash): else the message is parked, its id in the tenant's parked set, and
 * nothing else changes. Each update out of `sending` frees a place: the longest parked message of
 * the tenant is taken from the set and returned, for its worker to make it due.
 *
 * KEYS, 3 per update: entry, settled set, the tenant's parked set.
 * ARGV, 9 per update: allowed statuses (',queued,held,'), the patch (JSON, with updatedAt), order
 * key, updatedAt ms, status set prefix, count an attempt ('1' or '0'), share ('0': none), the
 * prefix of the queue's job keys (`<prefix>:<queue>:`, for their locks), may be parked ('1' or
 * '0': a job's first take cannot have been, and its begin leaves the parked set alone), the SHA-1
 * of the entry as its writer left it and the entry the update makes of it (both '' when the
 * writer does not know it): one GETSET writes it (not SET … GET, which needs Redis 6.2: BullMQ's
 * floor is 5), and when what it replaced is not that entry
 * (another writer came between) the script goes on from what it replaced, as if it had read it.
 * A write that turns out not to apply is undone in the same step.
 * Per update: { 1, entry, unparked id or nil, hourly field or nil } when applied; { 3, entry } when
 * parked; { 0, entry } when the status did not allow it; { 0 } without entry; { 2 } when the
 * stored entry is not JSON.
 */
export const TRANSITION = `${BATCH_HELPERS}
local results, moves, order = {}, {}, {}
local sending, freed, unparks = {}, {}, {}
local function settled(status) return status == 'sent' or status == 'failed' or status == 'uncertain' end
-- The tenant's messages sending now, with what this batch has changed so far. At the share, only
-- those whose job a live worker holds (BullMQ's lock) count: a crashed worker's is not in flight.
local function busy(prefix, share, lockPrefix)
  if sending[prefix] == nil then
    local n = redis.call('ZCARD', prefix .. 'sending')
    if n >= share and share > 0 then
      n = 0
      for _, member in ipairs(redis.call('ZRANGE', prefix .. 'sending', 0, -1)) do
        if redis.call('EXISTS', lockPrefix .. string.sub(member, 17) .. ':lock') == 1 then n = n + 1 end
      end
    end
    sending[prefix] = n
  end
  return sending[prefix]
end
for i = 0, #KEYS / 3 - 1 do
  local k, a = i * 3, i * 11
  -- Written ahead when the writer knows the entry: kept only if it replaced just that.
  local ahead, raw = ARGV[a + 10] ~= '', nil
  if ahead then
    raw = redis.call('GETSET', KEYS[k + 1], ARGV[a + 11])
    if raw and redis.sha1hex(raw) == ARGV[a + 10] then ahead = 'kept' end
  else
    raw = redis.call('GET', KEYS[k + 1])
  end
  local function undo()
    if ahead then
      if raw then redis.call('SET', KEYS[k + 1], raw) else redis.call('DEL', KEYS[k + 1]) end
    end
  end
  local ok, entry = false, nil
  if raw then ok, entry = pcall(cjson.decode, raw) end
  local share, prefix = tonumber(ARGV[a + 7]), ARGV[a + 5]
  if not raw then
    undo()
    results[i + 1] = {0}
  elseif not ok or type(entry) ~= 'table' then
    undo()
    results[i + 1] = {2}
  elseif not string.find(ARGV[a + 1], ',' .. tostring(entry.status) .. ',', 1, true) then
    undo()
    results[i + 1] = {0, raw}
  elseif share > 0 and entry.status ~= 'sending' and busy(prefix, share, ARGV[a + 8]) >= share then
    undo()
    redis.call('ZADD', KEYS[k + 3], 'NX', ARGV[a + 4], entry.id)
    results[i + 1] = {3, raw}
  else
    local from, written = entry.status, nil
    if ahead == 'kept' then
      written = ARGV[a + 11]
      entry = cjson.decode(written)
    else
      for field, value in pairs(cjson.decode(ARGV[a + 2])) do entry[field] = value end
      if ARGV[a + 6] == '1' then entry.attempts = (tonumber(entry.attempts) or 0) + 1 end
      written = cjson.encode(entry)
      redis.call('SET', KEYS[k + 1], written)
    end
    local move = moves[KEYS[k + 1]]
    if not move then
      move = {first = from, member = ARGV[a + 3], prefix = prefix, settled = KEYS[k + 2]}
      moves[KEYS[k + 1]] = move
      order[#order + 1] = KEYS[k + 1]
    end
    move.last, move.at = entry.status, ARGV[a + 4]
    -- The hour's count is the caller's to add (RedisHourlyCounts): the field, or false.
    local counted = false
    if entry.status ~= from and (entry.status == 'sent' or entry.status == 'failed' or entry.status == 'held') then
      counted = entry.status
    end
    results[i + 1] = {1, written, false, counted}
    if from ~= 'sending' and entry.status == 'sending' then
      sending[prefix] = busy(prefix, share, ARGV[a + 8]) + 1
      if share > 0 and ARGV[a + 9] == '1' then unparks[KEYS[k + 3]] = unparks[KEYS[k + 3]] or {}; table.insert(unparks[KEYS[k + 3]], entry.id) end
    elseif from == 'sending' and entry.status ~= 'sending' then
      if sending[prefix] ~= nil then sending[prefix] = sending[prefix] - 1 end
      freed[KEYS[k + 3]] = freed[KEYS[k + 3]] or {}
      table.insert(freed[KEYS[k + 3]], i + 1)
    end
  end
end
-- A message admitted after it was parked leaves the parked set.
for key, ids in pairs(unparks) do redis.call('ZREM', key, unpack(ids)) end
for key, updates in pairs(freed) do
  local popped = redis.call('ZPOPMIN', key, #updates)
  for j = 1, #popped / 2 do results[updates[j]][3] = popped[2 * j - 1] end
end
local zrems, zadds = {}, {}
for _, key in ipairs(order) do
  local move = moves[key]
  if move.last ~= move.first then
    push(zrems, move.prefix .. move.first, move.member)
    push(zadds, move.prefix .. move.last, 0, move.member)
  end
  if settled(move.last) then
    push(zadds, move.settled, move.at, move.member)
  elseif settled(move.first) then
    push(zrems, move.settled, move.member)
  end
end
flush(zrems, zadds, {})
return results`;

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
