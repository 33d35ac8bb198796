import type { Redis } from 'ioredis';

/**
 * The send log's hourly counts on Redis (sent, failed, held per tenant and hour), added up in this
 * process and written about once a `flushMs` per tenant-hour, instead of one HINCRBY per
 * transition batch: at a few hundred messages a second that is a command per message less.
 *
 * What it gives up: a crash of the process loses the counts of its last `flushMs` (the entries and
 * their statuses are written at once: only the last 24 hours' chart misses them), and another
 * replica sees this one's counts up to `flushMs` late. This process's own reads flush first. A
 * write that fails (the store out of reach) keeps its counts for the next; one cut off after Redis
 * applied it may then count twice: a chart, not a ledger.
 */
export class RedisHourlyCounts {
  /** Hash key → its expiry (epoch ms) and field → count not written yet. */
  private pending = new Map<string, { expireAt: number; fields: Map<string, number> }>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly redis: Redis,
    private readonly flushMs = 1000,
  ) {}

  /** Counts one transition into `field` of the hour's hash, which expires at `expireAt`. */
  add(key: string, field: string, expireAt: number): void {
    this.count(key, field, 1, expireAt);
  }

  private count(key: string, field: string, n: number, expireAt: number): void {
    let hour = this.pending.get(key);
    if (!hour) {
      hour = { expireAt, fields: new Map() };
      this.pending.set(key, hour);
    }
    hour.fields.set(field, (hour.fields.get(field) ?? 0) + n);
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush().catch(() => undefined), this.flushMs);
      // Counts never keep a process alive: close() writes what is left.
      this.timer.unref();
    }
  }

  /** Writes every count added so far; resolves once they (and any write under way) are in. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = new Map();
    const previous = this.writing;
    this.writing = previous
      .catch(() => undefined)
      .then(() => (batch.size > 0 ? this.write(batch) : undefined));
    return this.writing;
  }

  /** Writes what is left; the client is the outbox's and stays open. */
  close(): Promise<void> {
    return this.flush();
  }

  private async write(batch: RedisHourlyCounts['pending']): Promise<void> {
    const pipeline = this.redis.pipeline();
    for (const [key, hour] of batch) {
      for (const [field, n] of hour.fields) {
        pipeline.hincrby(key, field, n);
      }
      pipeline.pexpireat(key, hour.expireAt);
    }
    let results: Array<[Error | null, unknown]> | null;
    try {
      results = await pipeline.exec();
    } catch (error) {
      // Not sent (the producer's client has no offline queue): all of it waits for the next.
      this.restore(batch);
      throw error;
    }
    const failed = new Map<string, { expireAt: number; fields: Map<string, number> }>();
    let firstError: Error | undefined;
    let index = 0;
    for (const [key, hour] of batch) {
      for (const [field, n] of hour.fields) {
        const [error] = results?.[index++] ?? [new Error('no reply')];
        if (error) {
          firstError ??= error;
          const again = failed.get(key) ?? { expireAt: hour.expireAt, fields: new Map() };
          again.fields.set(field, n);
          failed.set(key, again);
        }
      }
      index++; // its PEXPIREAT
    }
    if (failed.size > 0) {
      this.restore(failed);
      throw new Error(`hourly counts could not be written: ${firstError?.message}`);
    }
  }

  private restore(batch: RedisHourlyCounts['pending']): void {
    for (const [key, hour] of batch) {
      for (const [field, n] of hour.fields) this.count(key, field, n, hour.expireAt);
    }
  }
}
