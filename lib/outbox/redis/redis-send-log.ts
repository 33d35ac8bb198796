import type { ChainableCommander, Redis } from 'ioredis';
import { OutboxUnavailableError } from '../../errors/outbox-unavailable.error';
import { SmtpSettingsError } from '../../errors/smtp-settings.error';
import { messageOf } from '../../internal/message-of';
import {
  OUTBOX_STATUSES,
  type OutboxStatus,
  type OutboxSummary,
  type SendLogEntry,
  type SendLogPage,
  type SendLogQuery,
} from '../../interfaces/outbox.interface';
import type { SendLog, SendLogGuard, SendLogUpdate } from '../send-log/send-log.interface';
import {
  cursorAfter,
  HOURLY_KEEP_MS,
  hourlyBucket,
  hourOf,
  summaryOf,
  last24Hours,
  changesOf,
  parseEntry,
  orderKey,
  parseCursor,
  parseOrderKey,
  timeOf,
  WAITING_STATUSES,
} from '../send-log/send-log-entries';
import { TickBatcher } from '../../internal/tick-batcher';
import { defineSendLogCommands, type SendLogCommands } from './redis-send-log.commands';
import { RedisLogKeys } from './redis-send-log.scripts';
import { RedisHourlyCounts } from './redis-hourly-counts';
import { addArguments, transitionArguments, type Transition } from './redis-send-log.arguments';

export interface RedisSendLogOptions {
  /** The outbox's ioredis client: never closed by the log. */
  client: Redis;
  /** Keys start with `<prefix>:`. */
  prefix: string;
  logTtlMs: number;
  logMaxCount: number;
  /** `<prefix>:<queue>:`, where BullMQ keeps the queue's jobs: a share counts only locked ones. */
  jobKeyPrefix?: string;
}

const PRUNE_BATCH = 1000;

/**
 * The send log in Redis, beside the queue, under the outbox's prefix:
 * `<prefix>:log:<tenant>:<id>` holds an entry (JSON); `<prefix>:logidx:<tenant>:all` and
 * `…:status:<status>` order a tenant's entries by creation (newest-first pages, counts),
 * `…:settled` orders settled entries by their last change (pruning); `<prefix>:loghour:<tenant>:<ms>`
 * counts an hour's sent, failed and held messages (expires 25 hours after the hour's start; the
 * workers' counts are added up in the process and written about once a second, see
 * RedisHourlyCounts);
 * `<prefix>:idem:<tenant>:<sha-256 of the key>` holds an idempotency key's message id.
 */
export class RedisSendLog implements SendLog {
  private readonly redis: Redis;
  private readonly keys: RedisLogKeys;
  private readonly commands: SendLogCommands;
  /**
   * Updates that arrive together (workers finishing at once) run as one script, one script at a
   * time: those that arrive while it runs go in the next, which shares its per-key commands.
   */
  private readonly transitions: TickBatcher<Transition, [number, string?, string?, string?]>;
  private readonly hourly: RedisHourlyCounts;

  constructor(private readonly options: RedisSendLogOptions) {
    this.redis = options.client;
    this.keys = new RedisLogKeys(options.prefix);
    this.commands = defineSendLogCommands(options.client);
    this.hourly = new RedisHourlyCounts(options.client);
    this.transitions = new TickBatcher(
      (batch) =>
        this.commands.smtpOutboxTransition(
          batch.length * 3,
          ...batch.flatMap((t) => t.keys),
          ...batch.flatMap((t) => t.args),
        ),
      undefined,
      { oneInFlight: true },
    );
  }

  async add(entry: SendLogEntry): Promise<void> {
    const { keys, args } = addArguments(this.keys, entry);
    await this.run('the send log could not take the entry', () =>
      this.commands.smtpOutboxAdd(keys.length, ...keys, ...args),
    );
  }

  async update(
    tenant: string,
    id: string,
    patch: Partial<SendLogEntry>,
    guard: SendLogGuard = {},
  ): Promise<SendLogUpdate> {
    const changes = changesOf(patch);
    const createdMs = guard.createdMs ?? (await this.createdMsOf(tenant, id));
    if (createdMs === null) return { entry: null, applied: false };
    const [outcome, written, unparked, counted] = await this.run(
      'the send log could not be updated',
      () =>
        this.transitions.push(
          transitionArguments(this.keys, { tenant, id, createdMs, changes, guard }, this.options),
        ),
    );
    if (counted) {
      const hour = hourOf(timeOf(changes.updatedAt, 'updatedAt'));
      this.hourly.add(this.keys.hour(tenant, hour), counted, hour + HOURLY_KEEP_MS);
    }
    if (outcome === 2) {
      throw new OutboxUnavailableError(`the send log entry ${id} is not readable JSON`);
    }
    // Parsed when read: the worker's updates seldom look at the entry they wrote.
    let entry: SendLogEntry | null | undefined;
    return {
      get entry() {
        return (entry ??= written ? parseEntry(written) : null);
      },
      applied: outcome === 1,
      ...(outcome === 3 ? { parked: true } : {}),
      ...(unparked ? { unparked: [unparked] } : {}),
      ...(outcome === 1 && written ? { stored: written } : {}),
    };
  }

  private async createdMsOf(tenant: string, id: string): Promise<number | null> {
    const entry = await this.get(tenant, id);
    return entry && timeOf(entry.createdAt, 'createdAt');
  }

  async get(tenant: string, id: string): Promise<SendLogEntry | null> {
    const read = await this.run('the send log could not be read', () =>
      this.redis.get(this.keys.entry(tenant, id)),
    );
    return read === null ? null : parseEntry(read);
  }

  async list(tenant: string, query: SendLogQuery & { limit: number }): Promise<SendLogPage> {
    const after = query.cursor === undefined ? undefined : parseCursor(query.cursor);
    const key = query.status
      ? this.keys.status(tenant, query.status)
      : this.keys.index(tenant, 'all');
    const max = after ? `(${orderKey(after.createdMs, after.id)}` : '+';
    const items: SendLogEntry[] = [];
    let from = max;
    // Entries pruned between reading the index and the entries are skipped; read on to fill the page.
    for (;;) {
      const want = query.limit - items.length;
      const members = await this.run('the send log could not be read', () =>
        this.redis.zrevrangebylex(key, from, '-', 'LIMIT', 0, want + 1),
      );
      const page = members.slice(0, want);
      if (page.length > 0) {
        const ids = page.map((member) => parseOrderKey(member).id);
        const reads = await this.run('the send log could not be read', () =>
          this.redis.mget(ids.map((id) => this.keys.entry(tenant, id))),
        );
        for (const read of reads) if (read !== null) items.push(parseEntry(read));
      }
      const more = members.length > want;
      if (!more || items.length >= query.limit) {
        const last = items[items.length - 1];
        return { items, nextCursor: more && last ? cursorAfter(last) : null };
      }
      from = `(${page[page.length - 1]!}`;
    }
  }

  async isParked(tenant: string, id: string): Promise<boolean> {
    const score = await this.run('the send log could not be read', () =>
      this.redis.zscore(this.keys.parked(tenant), id),
    );
    return score !== null;
  }

  async parkedIds(tenant: string): Promise<string[]> {
    return this.run('the send log could not be read', () =>
      this.redis.zrange(this.keys.parked(tenant), 0, -1),
    );
  }

  async heldIds(tenant: string): Promise<string[]> {
    const members = await this.run('the send log could not be read', () =>
      this.redis.zrange(this.keys.status(tenant, 'held'), 0, -1),
    );
    return members.map((member) => parseOrderKey(member).id);
  }

  async summary(
    tenant: string,
    now: number,
  ): Promise<Omit<OutboxSummary, 'rateLimit' | 'waiting'>> {
    const hours = last24Hours(now);
    // This process's counts first; a failed write keeps them for the next, and the read goes on.
    await this.hourly.flush().catch(() => undefined);
    const pipeline = this.redis.pipeline();
    for (const status of OUTBOX_STATUSES) pipeline.zcard(this.keys.status(tenant, status));
    for (const status of WAITING_STATUSES) pipeline.zrange(this.keys.status(tenant, status), 0, 0);
    for (const hour of hours) pipeline.hgetall(this.keys.hour(tenant, hour));
    const results = await this.exec(pipeline);
    const counts = Object.fromEntries(
      OUTBOX_STATUSES.map((status, i) => [status, Number(results[i])]),
    ) as Record<OutboxStatus, number>;
    const firsts = results
      .slice(OUTBOX_STATUSES.length, OUTBOX_STATUSES.length + WAITING_STATUSES.length)
      .flatMap((members) => (members as string[]).map((m) => parseOrderKey(m).createdMs));
    const oldest = firsts.length > 0 ? Math.min(...firsts) : null;
    const hourly = hours.map((hour, i) => {
      const fields = results[OUTBOX_STATUSES.length + WAITING_STATUSES.length + i] as Record<
        string,
        string
      >;
      return hourlyBucket(hour, fields);
    });
    return summaryOf(tenant, counts, oldest, hourly, now);
  }

  async prune(now: number): Promise<void> {
    const tenants = await this.run('the send log could not be read', () =>
      this.redis.smembers(this.keys.tenants()),
    );
    const cutoff = now - this.options.logTtlMs;
    for (const tenant of tenants) {
      let removed: number;
      do {
        removed = Number(
          await this.run('the send log could not be pruned', () =>
            this.commands.smtpOutboxPrune(
              this.keys.index(tenant, 'all'),
              this.keys.index(tenant, 'settled'),
              this.keys.tenants(),
              cutoff,
              this.options.logMaxCount,
              tenant,
              this.keys.entry(tenant, ''),
              this.keys.statusPrefix(tenant),
              PRUNE_BATCH,
            ),
          ),
        );
      } while (removed >= PRUNE_BATCH);
    }
  }

  async tenants(): Promise<string[]> {
    const tenants = await this.run('the send log could not be read', () =>
      this.redis.smembers(this.keys.tenants()),
    );
    const pipeline = this.redis.pipeline();
    for (const tenant of tenants) {
      for (const status of WAITING_STATUSES) pipeline.zcard(this.keys.status(tenant, status));
    }
    const results = (await this.exec(pipeline)).map(Number);
    const size = WAITING_STATUSES.length;
    return tenants
      .filter((_, i) => results.slice(i * size, (i + 1) * size).some((count) => count > 0))
      .sort();
  }

  /** Writes the hours' last counts; the client is the outbox's, and stays open. */
  async close(): Promise<void> {
    await this.hourly.close();
  }

  private exec(pipeline: ChainableCommander): Promise<unknown[]> {
    return this.run('the send log could not be read', async () =>
      ((await pipeline.exec()) ?? []).map(([error, value]) => {
        if (error) throw error;
        return value;
      }),
    );
  }

  /** Redis failures become `OutboxUnavailableError`, naming what failed. */
  private async run<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof SmtpSettingsError) throw error;
      throw new OutboxUnavailableError(`${what}: ${messageOf(error)}`, error);
    }
  }
}
