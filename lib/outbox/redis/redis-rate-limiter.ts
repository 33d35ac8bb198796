import { createHash, randomBytes } from 'node:crypto';
import { assertWindow, IN_FLIGHT_LEASE_MS, UnsettledGrants } from '../rate-limit/rate-window';
import type { SharedRateLimiter } from '../rate-limit/shared-rate-limiter.interface';

/**
 * What the limiter needs of an ioredis client (an ioredis `Redis` is one). Declared here so that
 * the package's types do not depend on `ioredis`.
 */
export interface RedisScriptClient {
  evalsha(sha: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>;
  quit(): Promise<unknown>;
}

export interface RedisRateLimiterOptions {
  client: RedisScriptClient;
  /** Keys are `<prefix>:ratelimit:<key>`. */
  prefix: string;
  /** Quit the client on `close()`: only when the limiter opened it. */
  ownsClient?: boolean;
}

/*
 * One sorted set per key: a member per grant. A grant is in flight until its attempt is over: it is
 * scored a lease ahead, so that it holds its slot however long the attempt takes, and scored again
 * with the time its attempt ended (settle), from which it counts a window. Everything happens in
 * one script, which Redis runs atomically, with Redis's own clock, so that replicas whose clocks
 * differ still share one window. A grant settled at t leaves the window at t + window.
 */
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/*
 * A caller refused a slot is given one ahead instead of "try again in a moment": the key's next
 * free slot (`<key>:next`) moves on by window / limit with each booking, so that a window's worth
 * of a backlog comes due per window, not all of it at once. A booked caller (its ticket in
 * `<key>:tickets`) is granted when it comes back and the window has room, ahead of callers that
 * were not booked; one that finds the window still full (attempts took longer than foreseen) keeps
 * its ticket and waits for the next grant to leave the window. A caller without a ticket is granted
 * whenever the window has room, and else told when the next grant leaves it.
 * KEYS: grants, next slot, tickets. ARGV: limit, window, member, lease, ticket ('' for none).
 */
const ACQUIRE = `${NOW}
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local lease = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local ticketed = ARGV[5] ~= ''
-- Without a ticket, the caller neither books nor waits for bookings.
local nextSlot = 0
if ticketed then nextSlot = tonumber(redis.call('GET', KEYS[2]) or '0') end
local booked = false
if ticketed and (count >= limit or nextSlot > now) then
  booked = redis.call('SREM', KEYS[3], ARGV[5]) == 1
end
if count < limit and (booked or nextSlot <= now) then
  redis.call('ZADD', KEYS[1], now + lease, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window + lease)
  return 0
end
-- When the oldest grant leaves the window (one still in flight is taken to end now).
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local frees = now + 1
if oldest[2] then frees = math.max(now + 1, math.min(tonumber(oldest[2]), now) + window) end
local slot = frees
if ticketed and not booked then
  slot = math.max(nextSlot, frees)
  local after = slot + math.ceil(window / limit)
  redis.call('SET', KEYS[2], after, 'PX', after - now + window)
end
if ticketed then
  redis.call('SADD', KEYS[3], ARGV[5])
  redis.call('PEXPIRE', KEYS[3], slot - now + 2 * window + lease)
end
return slot - now`;

/*
 * A booking made in advance (see SharedRateLimiter.book): the key's next slot, which is now when the
 * window has room and no booking is ahead, given to the ticket, as ACQUIRE books a refused caller.
 * KEYS: grants, next slot, tickets. ARGV: limit, window, ticket, lease.
 */
const BOOK = `${NOW}
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local nextSlot = tonumber(redis.call('GET', KEYS[2]) or '0')
local slot = math.max(nextSlot, now)
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  slot = math.max(slot, now + 1, math.min(tonumber(oldest[2]), now) + window)
end
local after = slot + math.ceil(window / limit)
redis.call('SET', KEYS[2], after, 'PX', after - now + window)
redis.call('SADD', KEYS[3], ARGV[3])
redis.call('PEXPIRE', KEYS[3], slot - now + 2 * window + tonumber(ARGV[4]))
return slot - now`;

const SETTLE = `${NOW}
redis.call('ZADD', KEYS[1], now, ARGV[2])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return 0`;

const USED = `${NOW}
return redis.call('ZCOUNT', KEYS[1], '(' .. (now - tonumber(ARGV[1])), '+inf')`;

interface Script {
  source: string;
  sha: string;
}

const script = (source: string): Script => ({
  source,
  sha: createHash('sha1').update(source).digest('hex'),
});
const SCRIPTS = {
  acquire: script(ACQUIRE),
  book: script(BOOK),
  settle: script(SETTLE),
  used: script(USED),
};

/** The shared sliding window in Redis: a sorted set per key and a Lua script. */
export class RedisRateLimiter implements SharedRateLimiter {
  private readonly client: RedisScriptClient;
  private readonly prefix: string;
  private readonly ownsClient: boolean;
  private readonly unsettled = new UnsettledGrants<string>();

  constructor(options: RedisRateLimiterOptions) {
    this.client = options.client;
    this.prefix = options.prefix;
    this.ownsClient = options.ownsClient ?? false;
  }

  async acquire(key: string, limit: number, windowMs: number, ticket = ''): Promise<number> {
    assertWindow(limit, windowMs);
    const member = randomBytes(12).toString('hex');
    const grants = this.keyOf(key);
    const wait = Number(
      await this.run(
        SCRIPTS.acquire,
        [grants, `${grants}:next`, `${grants}:tickets`],
        limit,
        windowMs,
        member,
        IN_FLIGHT_LEASE_MS,
        ticket,
      ),
    );
    if (wait === 0) this.unsettled.add(key, member);
    return wait;
  }

  async book(key: string, limit: number, windowMs: number, ticket: string): Promise<number> {
    assertWindow(limit, windowMs);
    const grants = this.keyOf(key);
    const keys = [grants, `${grants}:next`, `${grants}:tickets`];
    return Number(await this.run(SCRIPTS.book, keys, limit, windowMs, ticket, IN_FLIGHT_LEASE_MS));
  }

  async settle(key: string, windowMs: number): Promise<void> {
    const member = this.unsettled.take(key);
    if (member !== undefined) await this.run(SCRIPTS.settle, [this.keyOf(key)], windowMs, member);
  }

  async used(key: string, windowMs: number): Promise<number> {
    return Number(await this.run(SCRIPTS.used, [this.keyOf(key)], windowMs));
  }

  async close(): Promise<void> {
    if (this.ownsClient) await this.client.quit().catch(() => undefined);
  }

  private keyOf(key: string): string {
    return `${this.prefix}:ratelimit:${key}`;
  }

  /** EVALSHA, and EVAL once when the server does not have the script yet (or lost it). */
  private async run(s: Script, keys: string[], ...args: Array<string | number>): Promise<unknown> {
    try {
      return await this.client.evalsha(s.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!String((error as Error)?.message).includes('NOSCRIPT')) throw error;
      return this.client.eval(s.source, keys.length, ...keys, ...args);
    }
  }
}
