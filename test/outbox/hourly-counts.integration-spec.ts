import { Redis } from 'ioredis';
import { RedisHourlyCounts } from '../../lib/outbox/redis/redis-hourly-counts';
import { dropRedisKeys, TEST_REDIS_URL, until } from '../fixtures/outbox-kit';
import { uniqueName } from '../fixtures/postgres';

describe('The send log’s hourly counts on Redis, added up in the process', () => {
  const prefix = uniqueName('t_hourly');
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  /** Another replica's view: a client of its own. */
  const reader = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  const hourStart = Date.UTC(2030, 0, 1, 12);
  const expireAt = hourStart + 25 * 3_600_000;
  let n = 0;
  const key = () => `${prefix}:loghour:acme:${hourStart}:${n++}`;

  afterAll(async () => {
    await dropRedisKeys(`${prefix}:*`);
    redis.disconnect();
    reader.disconnect();
  });

  it('writes nothing per count, then each field once with the sum, and the expiry at the hour’s start plus the keep', async () => {
    // A flush that never comes by itself within the test: only flush() writes.
    const counts = new RedisHourlyCounts(redis, 3_600_000);
    const hour = key();
    for (let i = 0; i < 5; i++) counts.add(hour, 'sent', expireAt);
    counts.add(hour, 'failed', expireAt);
    expect(await reader.hgetall(hour)).toEqual({});
    await counts.flush();
    expect(await reader.hgetall(hour)).toEqual({ sent: '5', failed: '1' });
    expect(await reader.pexpiretime(hour)).toBe(expireAt);
    counts.add(hour, 'sent', expireAt);
    await counts.close();
    expect(await reader.hget(hour, 'sent')).toBe('6');
  });

  it('writes by itself after its delay, for another replica to read', async () => {
    const counts = new RedisHourlyCounts(redis, 100);
    const hour = key();
    counts.add(hour, 'held', expireAt);
    await until(async () => (await reader.hget(hour, 'held')) === '1', 'the count written');
    await counts.close();
  });

  it('keeps the counts of a write the store refused for the next one', async () => {
    const counts = new RedisHourlyCounts(redis, 3_600_000);
    const hour = key();
    // A string where the hash should be: HINCRBY fails with WRONGTYPE.
    await redis.set(hour, 'not a hash');
    counts.add(hour, 'sent', expireAt);
    counts.add(hour, 'sent', expireAt);
    await expect(counts.flush()).rejects.toThrow(/WRONGTYPE/);
    await redis.del(hour);
    await counts.close();
    expect(await reader.hget(hour, 'sent')).toBe('2');
  });
});
