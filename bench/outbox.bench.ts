/**
 * 7. The outbox, on Redis and on PostgreSQL: enqueue throughput and latency; messages delivered per
 * second through the outbox (enqueue, then a worker in the same process) against direct `send`,
 * side by side with the same sink; one worker process against two; the bytes a waiting message
 * takes in the queue's store. Lost, duplicated and failed messages must be 0.
 */
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { MailerService, OutboxService, type OutboxOptions } from '../lib';
import { OUTBOX_BACKENDS, outboxPlace, type OutboxPlace } from '../test/fixtures/outbox-kit';
import { alternate, collectGarbage } from './lib/alternate';
import { describeErrors, runLoad, type LoadResult } from './lib/load';
import {
  createOutboxApp,
  relayTo,
  sinkReaches,
  startWorkerProcess,
  stopWorkerProcess,
  storageMeter,
} from './lib/outbox-setup';
import { rawBullmq } from './lib/outbox-raw';
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
import { mustBeZero, runAsScript } from './lib/report';
import { benchMessage, USERS, type BenchApp } from './lib/setup';
import { SinkProcess, type RemoteSink } from './lib/sink-process';

/** Entries are never pruned during the run: the storage figure counts every one. */
const KEEP_ALL = { retention: { logMaxCount: 1_000_000 } } satisfies Partial<OutboxOptions>;

export async function outboxBench(): Promise<void> {
  const sinks = await SinkProcess.start();
  const results = new Map<string, BackendResult>();
  try {
    for (const backend of OUTBOX_BACKENDS) results.set(backend, await onBackend(backend, sinks));
  } finally {
    await sinks.close();
  }
  report(results);
}

async function onBackend(
  backend: OutboxPlace['backend'],
  sinks: SinkProcess,
): Promise<BackendResult> {
  const { enqueue: ENQUEUE, deliver: DELIVER, drain: DRAIN } = SIZES[backend];
  const places = [0, 1, 2, 3].map(() => outboxPlace(backend, 'bench'));
  const [forEnqueue, forDelivery, forWorkers, forRaw] = places as OutboxPlace[] as [
    OutboxPlace,
    OutboxPlace,
    OutboxPlace,
    OutboxPlace,
  ];
  const key = randomBytes(32).toString('base64');
  const apps: BenchApp[] = [];
  const children = new Set<ChildProcess>();
  try {
    const raw = await rawBullmq(forRaw, DELIVER, WORKER_CONCURRENCY);

    // Enqueue only (no worker on this queue), then what the waiting messages take.
    const idle = await sinks.sink({ users: USERS });
    const producer = await createOutboxApp(
      idle,
      forEnqueue.options({ worker: false, ...KEEP_ALL }),
      key,
    );
    apps.push(producer);
    const meter = storageMeter(forEnqueue);
    const empty = await meter.measure('smtp-outbox');
    const enqueue: LoadResult[] = [];
    const outboxOf = (ctx: BenchApp) => ctx.app.get(OutboxService);
    for (let round = -WARMUP; round < ROUNDS; round++) {
      collectGarbage();
      const result = await runLoad({
        count: ENQUEUE,
        concurrency: CONCURRENCY,
        send: (i) => outboxOf(producer).enqueue(benchMessage(i)),
      });
      failures(`${backend} enqueue`, result);
      if (round >= 0) enqueue.push(result);
    }
    const waiting = (WARMUP + ROUNDS) * ENQUEUE;
    const full = await meter.measure('smtp-outbox');
    await meter.close();
    const bytesPerMessage = {
      total: (full.total - empty.total) / waiting,
      queue: (full.queue - empty.queue) / waiting,
    };

    // Direct send against the outbox with a worker in the same process, one sink.
    const sink = await sinks.sink({ users: USERS, ids: DELIVER });
    const both = await createOutboxApp(
      sink,
      forDelivery.options({ concurrency: WORKER_CONCURRENCY, ...KEEP_ALL }),
      key,
    );
    apps.push(both);
    const mailer = both.app.get(MailerService);
    const delivery = await alternate<LoadResult | Rate>(
      [
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
            return {
              msgsPerSec: (DELIVER * 1000) / (done - started),
              cpuPerMsg: (used.user + used.system) / DELIVER,
            };
          },
        },
      ],
      { warmup: WARMUP, rounds: ROUNDS, label: `outbox ${backend}` },
    );
    await exactly(`${backend} delivery`, sink, 2 * (WARMUP + ROUNDS));
    mustBeZero(`${backend} outbox failed`, (await outboxOf(both).summary()).counts.failed);

    // Worker processes: the queue filled first, then 1 or 2 processes drain it.
    const sinkW = await sinks.sink({ users: USERS, ids: DRAIN });
    const workerOptions = forWorkers.options({ concurrency: WORKER_CONCURRENCY, ...KEEP_ALL });
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

    return {
      raw,
      enqueue,
      direct: delivery.get('direct') as LoadResult[],
      outbox: delivery.get('outbox') as Rate[],
      one: workers.get('one')!,
      two: workers.get('two')!,
      bytesPerMessage,
    };
  } finally {
    await Promise.all([...children].map(stopWorkerProcess));
    await Promise.all(apps.map((ctx) => ctx.app.close()));
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
