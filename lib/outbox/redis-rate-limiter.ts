import { createHash, randomBytes } from 'node:crypto';
import { assertWindow, IN_FLIGHT_LEASE_MS, UnsettledGrants } from './rate-window';
import type { SharedRateLimiter } from './shared-rate-limiter.interface';

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

const ACQUIRE = `${NOW}
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local lease = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now + lease, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window + lease)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, math.min(window, tonumber(oldest[2]) + window - now))`;

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
const SCRIPTS = { acquire: script(ACQUIRE), settle: script(SETTLE), used: script(USED) };

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

  async acquire(key: string, limit: number, windowMs: number): Promise<number> {
    assertWindow(limit, windowMs);
    const member = randomBytes(12).toString('hex');
    const wait = Number(
      await this.run(SCRIPTS.acquire, this.keyOf(key), limit, windowMs, member, IN_FLIGHT_LEASE_MS),
    );
    if (wait === 0) this.unsettled.add(key, member);
    return wait;
  }

  async settle(key: string, windowMs: number): Promise<void> {
    const member = this.unsettled.take(key);
    if (member !== undefined) await this.run(SCRIPTS.settle, this.keyOf(key), windowMs, member);
  }

  async used(key: string, windowMs: number): Promise<number> {
    return Number(await this.run(SCRIPTS.used, this.keyOf(key), windowMs));
  }

  async close(): Promise<void> {
    if (this.ownsClient) await this.client.quit().catch(() => undefined);
  }

  private keyOf(key: string): string {
    return `${this.prefix}:ratelimit:${key}`;
  }

  /** EVALSHA, and EVAL once when the server does not have the script yet (or lost it). */
  private async run(s: Script, key: string, ...args: Array<string | number>): Promise<unknown> {
    try {
      return await this.client.evalsha(s.sha, 1, key, ...args);
    } catch (error) {
      if (!String((error as Error)?.message).includes('NOSCRIPT')) throw error;
      return this.client.eval(s.source, 1, key, ...args);
    }
  }
}
