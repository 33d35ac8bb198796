/**
 * 5. Cost as work grows: live transport against raw nodemailer at concurrency 1, 10, 50 and 200;
 * the heap after 10k, 50k and 100k messages (it must stay flat); and the sinks' open connections
 * after 1,000 swaps (at most the pool of the current channel: no transporter left open).
 * Run with --expose-gc (npm run bench does).
 */
import { createTransport } from 'nodemailer';
import { setTimeout as sleep } from 'node:timers/promises';
import { MailerService, SmtpSettingsService } from '../lib';
import { createSettingsApp } from '../test/fixtures/settings-app';
import { alternate, collectGarbage, pairedRatios } from './lib/alternate';
import { describeErrors, runLoad, type LoadResult } from './lib/load';
import { mustBeZero, runAsScript, summary } from './lib/report';
import {
  basicSettings,
  benchMessage,
  pooledOptions,
  SENDER,
  THROUGHPUT_POOL,
  USERS,
} from './lib/setup';
import { SinkProcess, type RemoteSink } from './lib/sink-process';
import { median } from './lib/stats';
import { fixed2, printTable, verdict } from './lib/table';

/** Messages per round at each concurrency: fewer at 1, where every message waits its turn. */
const LEVELS = [
  { concurrency: 1, messages: 1_000 },
  { concurrency: 10, messages: 3_000 },
  { concurrency: 50, messages: 3_000 },
  { concurrency: 200, messages: 3_000 },
];
const ROUNDS = 9;
const HEAP_CHECKPOINTS = [10_000, 50_000, 100_000];
/** Heap growth between the first and the last checkpoint that still counts as flat. */
const FLAT_BYTES_PER_MESSAGE = 20;
const SWAPS = 1_000;

export async function scaling(): Promise<void> {
  if (!(globalThis as { gc?: unknown }).gc) throw new Error('run with node --expose-gc');
  const sinks = await SinkProcess.start();
  const sink = await sinks.sink({ users: USERS });
  const { app } = await createSettingsApp({ pool: THROUGHPUT_POOL });
  const raw = createTransport(pooledOptions(sink, THROUGHPUT_POOL));
  try {
    const settings = app.get(SmtpSettingsService);
    const mailer = app.get(MailerService);
    await settings.update(basicSettings(sink), { actor: 'bench' });

    // Throughput as concurrency grows.
    const rows = [];
    const ratios: string[] = [];
    for (const { concurrency, messages } of LEVELS) {
      const load = (send: (i: number) => Promise<unknown>) => () =>
        runLoad({ count: messages, concurrency, send });
      const results = await alternate<LoadResult>(
        [
          { name: 'live', run: load((i) => mailer.send(benchMessage(i))) },
          { name: 'raw', run: load((i) => raw.sendMail(benchMessage(i, SENDER))) },
        ],
        { warmup: 1, rounds: ROUNDS, label: `scaling c=${concurrency}` },
      );
      const live = results.get('live')!;
      const rawRounds = results.get('raw')!;
      for (const [name, rounds] of results) {
        const failed = rounds.reduce((n, r) => n + r.failed, 0);
        if (failed) console.log(`${name} errors: ${describeErrors(rounds[0]!.errors)}`);
        mustBeZero(`${name} failed at concurrency ${concurrency}`, failed);
      }
      const ratio = median(pairedRatios(live, rawRounds, (r) => r.msgsPerSec));
      const cpuRatio = median(pairedRatios(live, rawRounds, (r) => r.cpuPerMsg));
      ratios.push(`c${concurrency}=${fixed2(ratio)}`);
      const m = (rounds: LoadResult[], f: (r: LoadResult) => number) => median(rounds.map(f));
      rows.push([
        concurrency,
        messages,
        m(live, (r) => r.msgsPerSec),
        m(rawRounds, (r) => r.msgsPerSec),
        fixed2(ratio),
        fixed2(cpuRatio),
        m(live, (r) => r.p50),
        m(rawRounds, (r) => r.p50),
        m(live, (r) => r.p99),
        m(rawRounds, (r) => r.p99),
      ]);
    }
    printTable(
      `Throughput as concurrency grows: live transport against raw nodemailer, a pool of ${THROUGHPUT_POOL.maxConnections} connections (never replaced) each; median of ${ROUNDS} alternating rounds (after 1 warm-up)`,
      [
        'concurrency',
        'msgs/round',
        'live msgs/s',
        'raw msgs/s',
        'live/raw',
        'CPU/msg live/raw',
        'live p50',
        'raw p50',
        'live p99',
        'raw p99',
      ],
      rows,
    );

    // Raw nodemailer's idle connections would count as open below.
    raw.close();

    // The heap while 100,000 messages go through the live transport.
    collectGarbage();
    const heap: Array<[number, number]> = [[0, process.memoryUsage().heapUsed]];
    let sent = 0;
    let failed = 0;
    for (const checkpoint of HEAP_CHECKPOINTS) {
      const first = sent;
      const load = await runLoad({
        count: checkpoint - sent,
        concurrency: 50,
        send: (i) => mailer.send(benchMessage(first + i)),
      });
      failed += load.failed;
      sent = checkpoint;
      await sleep(50);
      collectGarbage();
      heap.push([checkpoint, process.memoryUsage().heapUsed]);
    }
    mustBeZero('failed sends during the heap run', failed);
    const [firstCount, firstHeap] = heap[1]!;
    const [lastCount, lastHeap] = heap[heap.length - 1]!;
    const perMessage = (lastHeap - firstHeap) / (lastCount - firstCount);
    const flat = perMessage < FLAT_BYTES_PER_MESSAGE;
    printTable(
      'Heap used after a full GC while messages go through the live transport (concurrency 50)',
      ['messages sent', 'heapUsed MiB', `change since ${firstCount / 1000}k, KiB`],
      heap.map(([count, used]) => [
        count,
        (used / 2 ** 20).toFixed(1),
        count >= firstCount ? ((used - firstHeap) / 1024).toFixed(0) : '',
      ]),
    );
    console.log(
      `growth ${firstCount / 1000}k..${lastCount / 1000}k: ${perMessage.toFixed(1)} bytes/message ` +
        `(flat means < ${FLAT_BYTES_PER_MESSAGE}: ${verdict(flat)})`,
    );

    // 1,000 swaps between two sinks, with messages on each new channel, then count open connections.
    const other = await sinks.sink({ users: USERS });
    await sleep(200);
    const openBefore = (await sink.stats()).openConnections;
    const swapped = await swapMany(settings, mailer, [sink, other]);
    printTable(
      `After ${SWAPS} swaps between two sinks (2 messages on each channel) and settling`,
      ['figure', 'value'],
      [
        ['open connections before the swaps (the live channel)', openBefore],
        ['connections opened', swapped.opened],
        ['open connections', swapped.open],
        ['pool size of the current channel', THROUGHPUT_POOL.maxConnections],
        ['left open beyond the pool (must be 0)', swapped.leaked],
        ['failed sends (must be 0)', swapped.failed],
      ],
    );
    mustBeZero('connections left open after the swaps', swapped.leaked);
    mustBeZero('failed sends during the swaps', swapped.failed);

    summary(
      `scaling live/raw ${ratios.join(' ')} heap=${perMessage.toFixed(1)}B/msg (flat ${verdict(flat)}) ` +
        `open-after-${SWAPS}-swaps=${swapped.open} (<=${THROUGHPUT_POOL.maxConnections} ${verdict(swapped.leaked === 0)})`,
    );
  } finally {
    raw.close();
    await app.close();
    await sinks.close();
  }
}

async function swapMany(
  settings: SmtpSettingsService,
  mailer: MailerService,
  targets: RemoteSink[],
): Promise<{ opened: number; open: number; leaked: number; failed: number }> {
  const before = await Promise.all(targets.map((t) => t.stats()));
  let failed = 0;
  let pending: Promise<unknown>[] = [];
  for (let i = 0; i < SWAPS; i++) {
    await settings.update(basicSettings(targets[(i + 1) % 2]!), { actor: 'bench' });
    // Not awaited: the next swap retires this channel while its messages are still in flight.
    for (let k = 0; k < 2; k++) {
      pending.push(mailer.send(benchMessage(i * 2 + k)).catch(() => void failed++));
    }
    if (pending.length >= 200) {
      await Promise.all(pending);
      pending = [];
    }
  }
  await Promise.all(pending);
  // Retired transporters close once drained; give their sockets a moment to go.
  let open = Infinity;
  for (let waited = 0; waited < 5_000; waited += 100) {
    const now = await Promise.all(targets.map((t) => t.stats()));
    open = now.reduce((n, s) => n + s.openConnections, 0);
    if (open <= THROUGHPUT_POOL.maxConnections) break;
    await sleep(100);
  }
  await sleep(200);
  const after = await Promise.all(targets.map((t) => t.stats()));
  open = after.reduce((n, s) => n + s.openConnections, 0);
  const opened = after.reduce((n, s, i) => n + s.connections - before[i]!.connections, 0);
  return { opened, open, leaked: Math.max(0, open - THROUGHPUT_POOL.maxConnections), failed };
}

if (require.main === module) runAsScript('scaling', scaling);
