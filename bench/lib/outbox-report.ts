/** The outbox benchmark's tables and summary line (outbox.bench.ts). */
import { pairedRatios } from './alternate';
import type { LoadResult } from './load';
import type { RawRate } from './outbox-raw';
import { summary } from './report';
import { median } from './stats';
import { fixed2, printTable, verdict, type Cell } from './table';

/**
 * Messages per round, by backend: PostgreSQL commits every job (BullMQ's own rate there is a few
 * hundred a second on this machine), so it gets fewer. Sized for a run well under five minutes on
 * the shared two-core machine under other suites' load (about a minute when it is quiet): the store
 * cost figures are counts, exact at any size; the rates are medians of alternating rounds.
 */
export const SIZES = {
  redis: { enqueue: 2_000, deliver: 1_000, drain: 1_500 },
  postgres: { enqueue: 600, deliver: 500, drain: 500 },
} as const;
export const CONCURRENCY = 50;
export const WORKER_CONCURRENCY = 50;
export const WARMUP = 1;
export const ROUNDS = 3;
/** Delivered per second through the outbox against direct send, on Redis. */
export const TARGET = 0.7;

export interface Rate {
  msgsPerSec: number;
  /** CPU time of the measuring process per message, µs (enqueue and worker in one process). */
  cpuPerMsg?: number;
}

export interface BackendResult {
  /** BullMQ alone, alternated with direct send and the outbox. */
  raw: RawRate[];
  enqueue: LoadResult[];
  direct: LoadResult[];
  outbox: Rate[];
  one: Rate[];
  two: Rate[];
  bytesPerMessage: { total: number; queue: number };
}

export function report(results: Map<string, BackendResult>): void {
  const rows: Cell[][] = [];
  const parts: string[] = [];
  for (const [backend, r] of results) {
    const ratio = median(pairedRatios(r.outbox, r.direct, (x) => x.msgsPerSec));
    const scale = median(pairedRatios(r.two, r.one, (x) => x.msgsPerSec));
    const p99 = median(r.enqueue.map((x) => x.p99));
    rows.push(
      [
        backend,
        'BullMQ alone: add (no-op worker running)',
        median(r.raw.map((x) => x.addPerSec)),
        median(r.raw.map((x) => x.add.p50)),
        median(r.raw.map((x) => x.add.p99)),
        '',
        '',
      ],
      [
        backend,
        'BullMQ alone: added and processed',
        median(r.raw.map((x) => x.processedPerSec)),
        '',
        '',
        '',
        '',
      ],
      [
        backend,
        'enqueue (no worker)',
        median(r.enqueue.map((x) => x.msgsPerSec)),
        median(r.enqueue.map((x) => x.p50)),
        p99,
        median(r.enqueue.map((x) => x.cpuPerMsg)),
        '',
      ],
      [
        backend,
        'direct send',
        median(r.direct.map((x) => x.msgsPerSec)),
        median(r.direct.map((x) => x.p50)),
        median(r.direct.map((x) => x.p99)),
        median(r.direct.map((x) => x.cpuPerMsg)),
        '',
      ],
      [
        backend,
        'outbox: enqueue + worker, delivered',
        median(r.outbox.map((x) => x.msgsPerSec)),
        '',
        '',
        median(r.outbox.map((x) => x.cpuPerMsg ?? NaN)),
        fixed2(ratio),
      ],
      [
        backend,
        '1 worker process, delivered',
        median(r.one.map((x) => x.msgsPerSec)),
        '',
        '',
        '',
        '',
      ],
      [
        backend,
        '2 worker processes, delivered',
        median(r.two.map((x) => x.msgsPerSec)),
        '',
        '',
        '',
        fixed2(scale),
      ],
    );
    const target = backend === 'redis' ? ` (target>=${TARGET} ${verdict(ratio >= TARGET)})` : '';
    parts.push(
      `${backend}: outbox/direct=${fixed2(ratio)}${target} enqueue p99=${p99.toFixed(1)}ms ` +
        `2w/1w=${fixed2(scale)} ${r.bytesPerMessage.total.toFixed(0)}B/waiting msg`,
    );
  }
  printTable(
    `Outbox: per round (Redis / PostgreSQL) ${SIZES.redis.enqueue} / ${SIZES.postgres.enqueue} enqueues, ${SIZES.redis.deliver} / ${SIZES.postgres.deliver} deliveries, ${SIZES.redis.drain} / ${SIZES.postgres.drain} drained, at concurrency ${CONCURRENCY} (workers ${WORKER_CONCURRENCY} each); median of ${ROUNDS} rounds after ${WARMUP} warm-up`,
    ['backend', 'variant', 'msgs/s', 'p50 ms', 'p99 ms', 'CPU µs/msg', 'ratio'],
    rows,
  );
  console.log(
    '"ratio": outbox against direct (median of per-round ratios), and two worker processes against one. ' +
      'Worker processes: the queue is filled first, the rate is from 10 % to 90 % delivered. ' +
      'CPU µs/msg: this process only (the sinks, Redis and PostgreSQL run apart).',
  );
  printTable(
    'Storage per waiting message (about 1.3 KB of text; the send log entry included)',
    ['backend', 'bytes total', 'of which the queue', 'send log'],
    [...results].map(([backend, r]) => [
      backend,
      r.bytesPerMessage.total,
      r.bytesPerMessage.queue,
      r.bytesPerMessage.total - r.bytesPerMessage.queue,
    ]),
  );
  summary(`outbox ${parts.join('; ')}`);
}
