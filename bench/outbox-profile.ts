/**
 * A focused look at the outbox's CPU per message on Redis (not one of `npm run bench`'s benchmarks):
 * the outbox (enqueue, then its worker in this process), BullMQ alone (add and a no-op worker) and
 * a direct send alternate, 1,000 messages a round at 50 in flight, through the relay to an id sink
 * in a child process, on the benchmark's own Redis (or, with `--backend postgres`, the tests'
 * PostgreSQL); each round prints this process's CPU µs per message, user and system. `--only
 * <variant>` runs one of them, for a whole-process profiler such as
 * `perf record -e cpu-clock -- node --perf-basic-prof …`, whose samples are CPU time (the
 * inspector's are wall time, which every write to the local Redis inflates: the woken server
 * takes the core). With `--profile <file>`, the measured rounds are profiled (node:inspector,
 * sampling every 100 µs) into `<file>.<variant>.r<round>.cpuprofile`;
 * `node dist-bench/bench/lib/cpuprofile-top.js <file>` sums it.
 *
 *   npx tsc -p bench/tsconfig.json && node --expose-gc dist-bench/bench/outbox-profile.js [--rounds 4] [--backend postgres] [--only outbox|bullmq|direct] [--profile out]
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { Redis } from 'ioredis';
import { MailerService, type OutboxOptions } from '../lib';
import { collectGarbage } from './lib/alternate';
import { runLoad } from './lib/load';
import { openRawBullmq } from './lib/outbox-raw';
import { benchPlace, createOutboxApp, sinkReaches } from './lib/outbox-setup';
import { startOwnRedis } from './lib/own-redis';
import { benchMessage, USERS } from './lib/setup';
import { SinkProcess } from './lib/sink-process';
import { finishedJobs, install, untilFinished } from './lib/store-meter';

const COUNT = 1000;

/** ioredis pipelines (auto-pipelining's, MULTI's, pipeline()'s) made: each copies the client's scripts. */
let pipelines = 0;
for (const method of ['pipeline', 'multi'] as const) {
  const original = Redis.prototype[method] as (...args: unknown[]) => unknown;
  (Redis.prototype as unknown as Record<string, unknown>)[method] = function (
    this: Redis,
    ...args: unknown[]
  ) {
    pipelines++;
    return original.apply(this, args);
  };
}
const CONCURRENCY = 50;
const ONE_TENANT = { concurrency: 50, tenantConcurrency: 50 } satisfies Partial<OutboxOptions>;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  install();
  const rounds = Number(arg('rounds') ?? 4);
  const profileTo = arg('profile');
  const redis = await startOwnRedis();
  const sinks = await SinkProcess.start();
  const place = benchPlace(arg('backend') === 'postgres' ? 'postgres' : 'redis', redis.url);
  const session = profileTo ? new Session() : undefined;
  if (session) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
  }
  try {
    const sink = await sinks.sink({ users: USERS, ids: COUNT });
    const ctx = await createOutboxApp(
      sink,
      place.options({ ...ONE_TENANT, retention: { logMaxCount: 1_000_000 } }),
      'x'.repeat(43) + '=',
    );
    const mailer = ctx.app.get(MailerService);
    // BullMQ alone (add + no-op worker) beside them: what the outbox's queue costs by itself.
    const raw = await openRawBullmq(place, CONCURRENCY);
    const out: Record<'outbox' | 'direct' | 'bullmq', number[]> = {
      outbox: [],
      direct: [],
      bullmq: [],
    };
    let profiling = false;
    for (let round = -1; round < rounds; round++) {
      const only = arg('only');
      for (const variant of (round % 2
        ? (['outbox', 'bullmq', 'direct'] as const)
        : (['direct', 'bullmq', 'outbox'] as const)
      ).filter((v) => !only || v === only)) {
        collectGarbage();
        const { accepted } = await sink.stats();
        const finished = finishedJobs(place.queueName) + COUNT;
        if (session && round >= 0) {
          if (process.argv.includes('--heap')) {
            await session.post('HeapProfiler.startSampling', {
              samplingInterval: 4096,
              includeObjectsCollectedByMajorGC: true,
              includeObjectsCollectedByMinorGC: true,
            });
          }
          await session.post('Profiler.start');
          profiling = true;
        }
        const made = pipelines;
        const cpu = process.cpuUsage();
        const started = performance.now();
        if (variant === 'bullmq') await raw.round(COUNT, CONCURRENCY);
        else {
          await runLoad({
            count: COUNT,
            concurrency: CONCURRENCY,
            send: (i) =>
              variant === 'outbox' ? mailer.enqueue(benchMessage(i)) : mailer.send(benchMessage(i)),
          });
        }
        if (variant === 'outbox') {
          await sinkReaches(sink, accepted + COUNT);
          await untilFinished(place.queueName, finished);
        }
        const used = process.cpuUsage(cpu);
        const ms = performance.now() - started;
        if (profiling && session) {
          const { profile } = await session.post('Profiler.stop');
          profiling = false;
          writeFileSync(`${profileTo}.${variant}.r${round}.cpuprofile`, JSON.stringify(profile));
          if (process.argv.includes('--heap')) {
            const heap = await session.post('HeapProfiler.stopSampling');
            writeFileSync(
              `${profileTo}.${variant}.r${round}.heapprofile`,
              JSON.stringify(heap.profile),
            );
          }
        }
        const perMsg = (used.user + used.system) / COUNT;
        if (round >= 0) out[variant].push(perMsg);
        console.log(
          `round ${round} ${variant.padEnd(6)} ${perMsg.toFixed(0).padStart(5)} µs/msg (user ${(used.user / COUNT).toFixed(0)}, system ${(used.system / COUNT).toFixed(0)})  ${((COUNT * 1000) / ms).toFixed(0)} msgs/s  ${((pipelines - made) / COUNT).toFixed(2)} pipelines/msg`,
        );
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    console.log(
      `median CPU µs/msg: outbox ${median(out.outbox).toFixed(0)}, direct ${median(out.direct).toFixed(0)}, BullMQ alone ${median(out.bullmq).toFixed(0)}; outbox - direct - BullMQ alone ${(median(out.outbox) - median(out.direct) - median(out.bullmq)).toFixed(0)}`,
    );
    await raw.close();
    await ctx.app.close();
  } finally {
    session?.disconnect();
    await sinks.close();
    await place.drop();
    await redis.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
