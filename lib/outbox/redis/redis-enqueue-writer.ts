import { createHash } from 'node:crypto';
import type { JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { SendLogEntry } from '../../interfaces/outbox.interface';
import { TickBatcher } from '../../internal/tick-batcher';
import type { OutboxBackendHandle } from '../outbox-backend';
import type { OutboxEnqueueWriter } from '../enqueue/outbox-enqueue-writer.interface';
import type { OutboxJobData } from '../outbox-message';
import { addArguments } from './redis-send-log.arguments';
import { ADD, RedisLogKeys } from './redis-send-log.scripts';

interface RawScript {
  lua: string;
  sha: string;
  numberOfKeys: number;
}
type Part = { script: RawScript; args: unknown[] };
type Write = { entry: SendLogEntry; data: OutboxJobData; options: JobsOptions };

/**
 * On Redis: the entries' script and BullMQ's own add script for each job, queued on one MULTI and
 * sent with EXEC in a single round trip; the enqueues that arrive together share it (one script
 * for all their entries). Redis runs a transaction whole; and when it is over `maxmemory`
 * before EXEC, both scripts refuse their first write, so neither lands without the other.
 *
 * Both go as plain EVALSHA, loaded once per connection beforehand: ioredis's own script commands
 * answer a NOSCRIPT inside a transaction by sending the script again outside it, which would
 * write one half alone. A script flushed between the load and EXEC (a failover) fails its half
 * with NOSCRIPT: that half is then written alone, so that both exist.
 */
export function redisEnqueueWriter(
  backend: OutboxBackendHandle,
  prefix: string,
): OutboxEnqueueWriter {
  if (backend.connection.backend !== 'redis') throw new Error('redisEnqueueWriter: not Redis');
  const redis: Redis = backend.connection.redis;
  const keys = new RedisLogKeys(prefix);
  const entryScript = { lua: ADD, sha: sha1(ADD) };
  const loaded = new Set<string>();
  redis.on('ready', () => loaded.clear());

  async function load(script: Pick<RawScript, 'lua' | 'sha'>): Promise<void> {
    if (loaded.has(script.sha)) return;
    await redis.script('LOAD', script.lua);
    loaded.add(script.sha);
  }

  /** BullMQ's add of `job`: captured from its own code, so that its arguments are its own. */
  async function jobPart(data: OutboxJobData, options: JobsOptions): Promise<Part> {
    const job = new backend.bullmq.Job<OutboxJobData>(
      backend.queue,
      'send',
      data,
      { ...options, jobId: data.id },
      data.id,
    );
    let captured: { name: string; args: unknown[] } | undefined;
    const recorder = {
      runCommand(name: string, args: unknown[]) {
        captured = { name, args };
        return recorder;
      },
    };
    await job.addJob(recorder as never);
    const script = (redis as unknown as { scriptsSet: Record<string, RawScript> }).scriptsSet[
      captured!.name
    ];
    if (!script) throw new Error(`BullMQ's script ${captured!.name} is not loaded`);
    return { script, args: captured!.args };
  }

  const run = (part: Part) =>
    redis.evalsha(
      part.script.sha,
      part.script.numberOfKeys,
      ...(part.args as Array<string | Buffer | number>),
    );

  /** The entries' part: every entry's keys, then every entry's arguments. */
  function entriesPart(batch: Write[]): Part {
    const parts = batch.map((write) => addArguments(keys, write.entry));
    const all = parts.flatMap((part) => part.keys);
    return {
      script: { ...entryScript, numberOfKeys: all.length },
      args: [...all, ...parts.flatMap((part) => part.args)],
    };
  }

  async function writeBatch(batch: Write[]): Promise<Array<'added' | 'exists'>> {
    // The jobs' parts side by side, and each script loaded once: a batch of 50 awaited its jobs and
    // its 51 loads one after another.
    const jobs = await Promise.all(batch.map(({ data, options }) => jobPart(data, options)));
    const parts: Part[] = [entriesPart(batch), ...jobs];
    for (const script of new Map(parts.map((part) => [part.script.sha, part.script])).values()) {
      await load(script);
    }
    const multi = redis.multi();
    for (const part of parts) {
      multi.evalsha(
        part.script.sha,
        part.script.numberOfKeys,
        ...(part.args as Array<string | Buffer | number>),
      );
    }
    const results = await multi.exec();
    if (!results) throw new Error('the transaction was discarded');
    const failed = results.map(([error]) => error);
    // All refused (over maxmemory): nothing was written.
    if (failed.every((error) => error !== null)) throw failed[0];
    for (const [i, error] of failed.entries()) {
      if (error === null) continue;
      if (!/NOSCRIPT/.test(error.message)) {
        throw new Error(`part of the enqueue failed: ${error.message}`);
      }
      loaded.delete(parts[i]!.script.sha);
      await load(parts[i]!.script);
      const value = await run(parts[i]!);
      if (i === 0) results[0] = [null, value];
    }
    const added = results[0]![1] as number[];
    return batch.map((_, i) => (added[i] === 1 ? 'added' : 'exists'));
  }

  const batcher = new TickBatcher(writeBatch);

  return {
    write(entry: SendLogEntry, data: OutboxJobData, options: JobsOptions) {
      return batcher.push({ entry, data, options });
    },
    provesNothingWritten(error) {
      const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown };
      // Redis answered with an error for the whole transaction (EXECABORT, OOM), or ioredis never
      // sent it (no connection, and no offline queue on the producer's client).
      return (
        name === 'ReplyError' || /Stream isn't writeable|enableOfflineQueue/.test(String(message))
      );
    },
  };
}

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}
