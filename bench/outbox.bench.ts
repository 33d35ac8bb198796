/**
 * 7. The outbox, on Redis and on PostgreSQL: enqueue throughput and latency; messages delivered per
 * second through the outbox (enqueue, then a worker in the same process) against direct `send` and
 * BullMQ alone, alternating, side by side with the same sink; what each delivered message costs the
 * store (Redis round trips and commands, PostgreSQL statements: counted, see lib/store-meter.ts);
 * one worker process against two; the bytes a waiting message takes in the queue's store. Lost,
 * duplicated and failed messages must be 0. Redis is the benchmark's own (lib/own-redis.ts), with
 * AOF (`appendfsync everysec`) as the outbox needs; PostgreSQL is the tests' (TEST_DATABASE_URL).
 */
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { MailerService, OutboxService, type OutboxOptions } from '../lib';
import { OUTBOX_BACKENDS, type OutboxPlace } from '../test/fixtures/outbox-kit';
import { alternate, collectGarbage } from './lib/alternate';
import { describeErrors, runLoad, type LoadResult } from './lib/load';
import { costOf, reportCost, type BackendCost, type Cost } from './lib/outbox-cost';
import {
  benchPlace,
  createOutboxApp,
  relayTo,
  sinkReaches,
  startWorkerProcess,
  stopWorkerProcess,
  storageMeter,
  type BenchPlace,
} from './lib/outbox-setup';
import { openRawBullmq, type RawBullmq, type RawRate } from './lib/outbox-raw';
import {
  CONCURRENCY,
  report,
  ROUNDS,
  SIZES,
  WARMUP,
  WORKER_CONCURRENCY,
  type BackendResult,
  type Rate,
} from './lib/outbox-report';
import { startOwnRedis, type OwnRedis } from './lib/own-redis';
import { mustBeZero, runAsScript } from './lib/report';
import { benchMessage, USERS, type BenchApp } from './lib/setup';
import { SinkProcess, type RemoteSink } from './lib/sink-process';
import { finishedJobs, install, uncounted, untilFinished } from './lib/store-meter';

/**
 * One tenant sends everything here: its share of the attempts in flight is the whole worker, as
 * the README tells a one-tenant app to set it (the share is what the fairness bench measures).
 */
const ONE_TENANT = {
  concurrency: WORKER_CONCURRENCY,
  tenantConcurrency: WORKER_CONCURRENCY,
} satisfies Partial<OutboxOptions>;

/** Entries are never pruned during the run: the storage figure counts every one. */
const KEEP_ALL = { retention: { logMaxCount: 1_000_000 } } satisfies Partial<OutboxOptions>;

export async function outboxBench(): Promise<void> {
  install();
  const redis = await startOwnRedis();
  console.log(
    `Redis ${redis.version}: the benchmark's own on ${redis.url} (appendonly yes, appendfsync everysec, no RDB)`,
  );
  const sinks = await SinkProcess.start();
  const results = new Map<string, BackendResult>();
  const costs = new Map<string, BackendCost>();
  try {
    for (const backend of OUTBOX_BACKENDS) {
      const { result, cost } = await onBackend(backend, sinks, redis);
      results.set(backend, result);
      costs.set(backend, cost);
    }
  } finally {
    await sinks.close();
    await redis.stop();
  }
  report(results);
  reportCost(
    costs,
    `${ROUNDS} rounds after ${WARMUP} warm-up, ${SIZES.redis.deliver} / ${SIZES.postgres.deliver} messages a round (Redis / PostgreSQL); enqueue only: ${SIZES.redis.enqueue} / ${SIZES.postgres.enqueue}`,
  );
}

async function onBackend(
  backend: OutboxPlace['backend'],
  sinks: SinkProcess,
  redis: OwnRedis,
): Promise<{ result: BackendResult; cost: BackendCost }> {
  const { enqueue: ENQUEUE, deliver: DELIVER, drain: DRAIN } = SIZES[backend];
  const places = [0, 1, 2, 3].map(() => benchPlace(backend, redis.url));
  const [forEnqueue, forDelivery, forWorkers, forRaw] = places as [
    BenchPlace,
    BenchPlace,
    BenchPlace,
    BenchPlace,
  ];
  // INFO commandstats, on a connection of its own that is not counted.
  const admin = backend === 'redis' ? uncounted(new Redis(redis.url)) : undefined;
  const key = randomBytes(32).toString('base64');
  const apps: BenchApp[] = [];
  const children = new Set<ChildProcess>();
  let raw: RawBullmq | undefined;
  try {
    // Enqueue only (no worker on this queue), then what the waiting messages take.
    const idle = await sinks.sink({ users: USERS });
    const producer = await createOutboxApp(
      idle,
      forEnqueue.options({ worker: false, ...KEEP_ALL }),
      key,
    );
    apps.push(producer);
    const meter = storageMeter(forEnqueue);
    const empty = await meter.measure(forEnqueue.queueName);
    const enqueue: LoadResult[] = [];
    const enqueueCost: Cost[] = [];
    const outboxOf = (ctx: BenchApp) => ctx.app.get(OutboxService);
    for (let round = -WARMUP; round < ROUNDS; round++) {
      collectGarbage();
      const { result, cost } = await costOf(admin, ENQUEUE, () =>
        runLoad({
          count: ENQUEUE,
          concurrency: CONCURRENCY,
          send: (i) => outboxOf(producer).enqueue(benchMessage(i)),
        }),
      );
      failures(`${backend} enqueue`, result);
      if (round >= 0) {
        enqueue.push(result);
        enqueueCost.push(cost);
      }
    }
    const waiting = (WARMUP + ROUNDS) * ENQUEUE;
    const full = await meter.measure(forEnqueue.queueName);
    await meter.close();
    const bytesPerMessage = {
      total: (full.total - empty.total) / waiting,
      queue: (full.queue - empty.queue) / waiting,
    };
    // Nothing of it may run while the other variants are counted.
    await producer.app.close();
    apps.splice(apps.indexOf(producer), 1);

    // BullMQ alone, direct send and the outbox with a worker in the same process, alternating,
    // one sink. Each round ends once its last job is finished (the outbox's `sent` entry and
    // BullMQ's completion written), so that no round's tail runs into the next.
    const bullmq = (raw = await openRawBullmq(forRaw, WORKER_CONCURRENCY));
    const sink = await sinks.sink({ users: USERS, ids: DELIVER });
    const both = await createOutboxApp(
      sink,
      forDelivery.options({ ...ONE_TENANT, ...KEEP_ALL }),
      key,
    );
    apps.push(both);
    const mailer = both.app.get(MailerService);
    type Delivery = LoadResult | (Rate & { cost: Cost }) | (RawRate & { cost: Cost });
    const delivery = await alternate<Delivery>(
      [
        {
          name: 'bullmq',
          run: async () => {
            const { result, cost } = await costOf(admin, DELIVER, () =>
              bullmq.round(DELIVER, CONCURRENCY),
            );
            failures(`${backend} BullMQ alone add`, result.add);
            return { ...result, cost };
          },
        },
        {
          name: 'direct',
          run: async () => {
            const result = await runLoad({
              count: DELIVER,
              concurrency: CONCURRENCY,
              send: (i) => mailer.send(benchMessage(i)),
            });
            failures(`${backend} direct`, result);
            return result;
          },
        },
        {
          name: 'outbox',
          run: async () => {
            const { accepted } = await sink.stats();
            const finished = finishedJobs(forDelivery.queueName) + DELIVER;
            let rate!: Rate;
            const { cost } = await costOf(admin, DELIVER, async () => {
              const started = performance.now();
              const cpu = process.cpuUsage();
              const result = await runLoad({
                count: DELIVER,
                concurrency: CONCURRENCY,
                send: (i) => mailer.enqueue(benchMessage(i)),
              });
              failures(`${backend} outbox enqueue`, result);
              const done = await sinkReaches(sink, accepted + DELIVER);
              const used = process.cpuUsage(cpu);
              rate = {
                msgsPerSec: (DELIVER * 1000) / (done - started),
                cpuPerMsg: (used.user + used.system) / DELIVER,
              };
              // The tail: the entries marked sent, the jobs completed.
              await untilFinished(forDelivery.queueName, finished);
            });
            return { ...rate, cost };
          },
        },
      ],
      { warmup: WARMUP, rounds: ROUNDS, label: `outbox ${backend}` },
    );
    await exactly(`${backend} delivery`, sink, 2 * (WARMUP + ROUNDS));
    mustBeZero(`${backend} outbox failed`, (await outboxOf(both).summary()).counts.failed);
    await bullmq.close();
    raw = undefined;
    await both.app.close();
    apps.splice(apps.indexOf(both), 1);

    // Worker processes: the queue filled first, then 1 or 2 processes drain it.
    const sinkW = await sinks.sink({ users: USERS, ids: DRAIN });
    const workerOptions = forWorkers.options({ ...ONE_TENANT, ...KEEP_ALL });
    const filler = await createOutboxApp(sinkW, { ...workerOptions, worker: false }, key);
    apps.push(filler);
    const drain = (processes: number) => async (): Promise<Rate> => {
      const result = await runLoad({
        count: DRAIN,
        concurrency: CONCURRENCY,
        send: (i) => outboxOf(filler).enqueue(benchMessage(i)),
      });
      failures(`${backend} fill`, result);
      const { accepted } = await sinkW.stats();
      const config = { relay: relayTo(sinkW), outbox: workerOptions, encryptionKey: key };
      const started = await Promise.all(
        Array.from({ length: processes }, () => startWorkerProcess(config)),
      );
      started.forEach((child) => children.add(child));
      // The steady part: from 10 % to 90 % delivered, so that start-up skew does not count.
      const marks: Record<'from' | 'to', number | undefined> = { from: undefined, to: undefined };
      await sinkReaches(sinkW, accepted + DRAIN, 300_000, (now, at) => {
        if (marks.from === undefined && now >= accepted + 0.1 * DRAIN) marks.from = at;
        if (marks.to === undefined && now >= accepted + 0.9 * DRAIN) marks.to = at;
      });
      await Promise.all(started.map(stopWorkerProcess));
      started.forEach((child) => children.delete(child));
      return { msgsPerSec: (0.8 * DRAIN * 1000) / (marks.to! - marks.from!) };
    };
    const workers = await alternate<Rate>(
      [
        { name: 'one', run: drain(1) },
        { name: 'two', run: drain(2) },
      ],
      { warmup: WARMUP, rounds: ROUNDS, label: `outbox ${backend} workers` },
    );
    await exactly(`${backend} worker processes`, sinkW, 2 * (WARMUP + ROUNDS));
    mustBeZero(
      `${backend} worker processes failed`,
      (await outboxOf(filler).summary()).counts.failed,
    );

    const rawRounds = delivery.get('bullmq') as Array<RawRate & { cost: Cost }>;
    const outboxRounds = delivery.get('outbox') as Array<Rate & { cost: Cost }>;
    return {
      result: {
        raw: rawRounds,
        enqueue,
        direct: delivery.get('direct') as LoadResult[],
        outbox: outboxRounds,
        one: workers.get('one')!,
        two: workers.get('two')!,
        bytesPerMessage,
      },
      cost: {
        bullmq: rawRounds.map((r) => r.cost),
        outbox: outboxRounds.map((r) => r.cost),
        enqueue: enqueueCost,
      },
    };
  } finally {
    await Promise.all([...children].map(stopWorkerProcess));
    await raw?.close();
    await Promise.all(apps.map((ctx) => ctx.app.close()));
    admin?.disconnect();
    await Promise.all(places.map((place) => place.drop()));
  }
}

function failures(what: string, result: LoadResult): void {
  if (mustBeZero(`${what} failed`, result.failed)) {
    console.log(`${what} errors: ${describeErrors(result.errors)}`);
  }
}

/** Every id arrived `times` times: none lost, none twice. */
async function exactly(what: string, sink: RemoteSink, times: number): Promise<void> {
  const counts = await sink.counts();
  mustBeZero(`${what} lost`, counts.filter((n) => n < times).length);
  mustBeZero(`${what} duplicated`, counts.filter((n) => n > times).length);
  mustBeZero(`${what} unknown`, (await sink.stats()).unknown);
}

if (require.main === module) runAsScript('outbox', outboxBench);
