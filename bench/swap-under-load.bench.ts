/**
 * 3. Swap under load: 20,000 messages at full speed while the settings move between two sinks
 * every 250 ms. Each message carries a unique id header; the sinks count ids, so that lost and
 * duplicated messages show. Lost, failed and duplicated must all be zero.
 *
 * Latency: sends that overlapped a swap against those that did not. A long send is more likely to
 * contain any given instant, so "overlapped" picks the slow tail even if swaps cost nothing. The
 * control is the same load without swaps (half before, half after the swap run), with the same
 * test applied to instants on the same 250 ms grid.
 */
import { performance } from 'node:perf_hooks';
import { MailerService, SmtpSettingsService } from '../lib';
import { createSettingsApp } from '../test/fixtures/settings-app';
import { collectGarbage } from './lib/alternate';
import { describeErrors, runLoad, type LoadResult } from './lib/load';
import { mustBeZero, runAsScript, summary } from './lib/report';
import { basicSettings, benchMessage, POOL, USERS } from './lib/setup';
import { SinkProcess, type RemoteSink } from './lib/sink-process';
import { latencySummary } from './lib/stats';
import { fixed2, printTable } from './lib/table';

const MESSAGES = 20_000;
/** Messages without swaps, for the control: half before the swap run, half after. */
const BASELINE = 10_000;
const WARMUP = 2_000;
const CONCURRENCY = 50;
const SWAP_EVERY_MS = 250;
/** Sends that start this soon after a swap meet a new pool, which must connect first. */
const COLD_START_MS = 150;

interface Run {
  firstId: number;
  load: LoadResult;
  /** When each swap took effect (or, without swaps, the same grid of instants). */
  instants: number[];
}

export async function swapUnderLoad(): Promise<void> {
  const sinks = await SinkProcess.start();
  const ids = WARMUP + BASELINE + MESSAGES;
  const targets = [
    await sinks.sink({ users: USERS, ids }),
    await sinks.sink({ users: USERS, ids }),
  ];
  const { app } = await createSettingsApp({ pool: POOL });
  try {
    const settings = app.get(SmtpSettingsService);
    const mailer = app.get(MailerService);
    const moveTo = (target: RemoteSink) =>
      settings.update(basicSettings(target), { actor: 'bench' });
    const send = (firstId: number) => (i: number) => mailer.send(benchMessage(firstId + i));
    let retried = 0;
    const subscription = mailer.events$.subscribe((e) => (retried += e.attempts > 1 ? 1 : 0));

    // Ids: warm-up [0, 2k), baseline [2k, 12k), the swap run [12k, 32k).
    for (const [k, target] of targets.entries()) {
      await moveTo(target);
      await runLoad({ count: WARMUP / 2, concurrency: CONCURRENCY, send: send((k * WARMUP) / 2) });
    }
    const baseline = async (firstId: number): Promise<Run> => {
      collectGarbage();
      const load = await runLoad({
        count: BASELINE / 2,
        concurrency: CONCURRENCY,
        send: send(firstId),
      });
      const instants: number[] = [];
      const end = load.starts[0]! + load.durationMs;
      for (let t = load.starts[0]! + SWAP_EVERY_MS; t < end; t += SWAP_EVERY_MS) instants.push(t);
      return { firstId, load, instants };
    };

    const before = await baseline(WARMUP);
    collectGarbage();
    retried = 0;
    // The swaps: the instant each one took effect (the old route retired, the next message
    // builds the new one), i.e. when update() resolved.
    const swaps: number[] = [];
    const updateMs: number[] = [];
    const swapErrors: string[] = [];
    let current = 1;
    let swapping: Promise<void> = Promise.resolve();
    const timer = setInterval(() => {
      current ^= 1;
      const began = performance.now();
      swapping = moveTo(targets[current]!).then(
        () => {
          const now = performance.now();
          swaps.push(now);
          updateMs.push(now - began);
        },
        (error: Error) => void swapErrors.push(error.message),
      );
    }, SWAP_EVERY_MS);
    const firstId = WARMUP + BASELINE;
    const load = await runLoad({ count: MESSAGES, concurrency: CONCURRENCY, send: send(firstId) });
    clearInterval(timer);
    await swapping;
    const swapRetried = retried;
    if (swapErrors.length) throw new Error(`settings updates failed: ${swapErrors.join('; ')}`);
    const after = await baseline(WARMUP + BASELINE / 2);
    subscription.unsubscribe();

    // Count ids across both sinks: each message sent must have arrived exactly once.
    const [a, b] = (await Promise.all(targets.map((t) => t.counts()))) as [
      Uint16Array,
      Uint16Array,
    ];
    const stats = await Promise.all(targets.map((t) => t.stats()));
    const tally = (run: Pick<Run, 'firstId' | 'load'>) => {
      const result = { lost: 0, duplicated: 0, deliveredButFailed: 0, atA: 0, atB: 0 };
      for (let i = 0; i < run.load.count; i++) {
        const id = run.firstId + i;
        const arrived = a[id]! + b[id]!;
        if (run.load.failures[i]) result.deliveredButFailed += arrived > 0 ? 1 : 0;
        else if (arrived === 0) result.lost++;
        result.duplicated += Math.max(0, arrived - 1);
        result.atA += a[id]!;
        result.atB += b[id]!;
      }
      return result;
    };
    const swapRun = tally({ firstId, load });
    const controlRuns = [tally(before), tally(after)];
    mustBeZero('lost', swapRun.lost);
    mustBeZero('failed', load.failed);
    mustBeZero('duplicated', swapRun.duplicated);
    mustBeZero(
      'messages without a known id',
      stats.reduce((n, s) => n + s.unknown, 0),
    );
    for (const [i, run] of controlRuns.entries()) {
      const failed = [before, after][i]!.load.failed;
      mustBeZero('lost, failed or duplicated without swaps', run.lost + run.duplicated + failed);
    }

    const swapGroups = classify({ firstId, load, instants: swaps });
    const controlGroups = [before, after].map(classify);
    const control = {
      overlapped: controlGroups.flatMap((g) => g.overlapped),
      clean: controlGroups.flatMap((g) => g.clean),
    };
    const o = latencySummary(swapGroups.overlapped);
    const c = latencySummary(swapGroups.clean);
    const co = latencySummary(control.overlapped);
    const cc = latencySummary(control.clean);
    const cold = latencySummary(swapGroups.afterSwap);
    const u = latencySummary(updateMs);

    printTable(
      `Swap under load: ${MESSAGES} messages at concurrency ${CONCURRENCY}, settings moved between two sinks every ${SWAP_EVERY_MS} ms; nodemailer's pool defaults (${POOL.maxConnections} connections, ${POOL.maxMessages} messages each)`,
      ['figure', 'value'],
      [
        ['messages sent', MESSAGES],
        ['swaps during the run', swaps.length],
        ['settings update, p50 / max ms', `${u.p50.toFixed(1)} / ${u.max.toFixed(1)}`],
        ['throughput, msgs/s', load.msgsPerSec],
        ['arrived at sink A / sink B', `${swapRun.atA} / ${swapRun.atB}`],
        ['lost (must be 0)', swapRun.lost],
        ['failed (must be 0)', load.failed],
        ['duplicated (must be 0)', swapRun.duplicated],
        ['failed, yet delivered', swapRun.deliveredButFailed],
        ['messages retried', swapRetried],
      ],
    );
    printTable(
      `Latency of sends that overlapped a swap against sends that did not; control: ${BASELINE} messages without swaps, same ${SWAP_EVERY_MS} ms grid of instants`,
      ['sends', 'count', 'p50 ms', 'p99 ms', 'max ms'],
      [
        ['overlapped a swap', swapGroups.overlapped.length, o.p50, o.p99, o.max],
        ['did not', swapGroups.clean.length, c.p50, c.p99, c.max],
        [
          `started <= ${COLD_START_MS} ms after a swap`,
          swapGroups.afterSwap.length,
          cold.p50,
          cold.p99,
          cold.max,
        ],
        ['control: overlapped a grid instant', control.overlapped.length, co.p50, co.p99, co.max],
        ['control: did not', control.clean.length, cc.p50, cc.p99, cc.max],
      ],
    );
    if (load.failed) console.log(`errors: ${describeErrors(load.errors)}`);
    summary(
      `swap lost=${swapRun.lost} failed=${load.failed} duplicated=${swapRun.duplicated} swaps=${swaps.length} ` +
        `p99 overlapped=${o.p99.toFixed(0)}ms clean=${c.p99.toFixed(0)}ms ` +
        `(without swaps, same test: ${co.p99.toFixed(0)}ms/${cc.p99.toFixed(0)}ms; ` +
        `overlapped swap/grid=${fixed2(o.p99 / co.p99)}; lost, failed, duplicated must be 0)`,
    );
  } finally {
    await app.close();
    await sinks.close();
  }
}

/** Splits a run's latencies by whether a send's interval contains one of the instants. */
function classify({ load, instants }: Run) {
  const groups = { overlapped: [] as number[], clean: [] as number[], afterSwap: [] as number[] };
  for (let i = 0; i < load.count; i++) {
    if (load.failures[i]) continue;
    const start = load.starts[i]!;
    const latency = load.latencies[i]!;
    groups[overlaps(instants, start, start + latency) ? 'overlapped' : 'clean'].push(latency);
    if (overlaps(instants, start - COLD_START_MS, start)) groups.afterSwap.push(latency);
  }
  return groups;
}

/** Whether an instant falls within [start, end]; `instants` is ascending. */
function overlaps(instants: readonly number[], start: number, end: number): boolean {
  let lo = 0;
  let hi = instants.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (instants[mid]! < start) lo = mid + 1;
    else hi = mid;
  }
  return lo < instants.length && instants[lo]! <= end;
}

if (require.main === module) runAsScript('swap-under-load', swapUnderLoad);
