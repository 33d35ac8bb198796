/**
 * 1. Send throughput: MailerService.send over the live transport, raw nodemailer with the same
 * pooled options, and @nestjs-modules/mailer with a static transport, all to one discarding sink;
 * and `live-otel`, the live transport of a second app that reports to an OpenTelemetry SDK
 * (spans exported to memory as they end, metrics aggregated in memory).
 */
import { MailerModule, MailerService as ModuleMailer } from '@nestjs-modules/mailer';
import { createTransport } from 'nodemailer';
import { MailerService, SmtpSettingsService } from '../lib';
import { alternate, pairedRatios } from './lib/alternate';
import { describeErrors, runLoad, type LoadResult } from './lib/load';
import { mustBeZero, runAsScript, summary } from './lib/report';
import { SinkProcess } from './lib/sink-process';
import {
  basicSettings,
  benchMessage,
  createBenchApp,
  pooledOptions,
  THROUGHPUT_POOL,
  SENDER,
  USERS,
} from './lib/setup';
import { median } from './lib/stats';
import { fixed2, printTable, verdict } from './lib/table';
import { registerOtelSdk } from './lib/otel-sdk';

const MESSAGES = 5_000;
const CONCURRENCY = 50;
const WARMUP = 1;
const ROUNDS = 7;
const TARGET = 0.95;
const OTEL_TARGET = 0.9;

export async function sendThroughput(): Promise<void> {
  const sinks = await SinkProcess.start();
  const sink = await sinks.sink({ users: USERS });
  const { app } = await createBenchApp(
    { pool: THROUGHPUT_POOL },
    { imports: [MailerModule.forRoot({ transport: pooledOptions(sink, THROUGHPUT_POOL) })] },
  );
  const raw = createTransport(pooledOptions(sink, THROUGHPUT_POOL));
  let otel: ReturnType<typeof registerOtelSdk> | undefined;
  let traced: Awaited<ReturnType<typeof createBenchApp>>['app'] | undefined;
  try {
    // The first app looks for an SDK on its first use, here, and finds none: it stays without
    // telemetry for the whole run. The second one starts after the SDK is registered.
    await app.get(SmtpSettingsService).update(basicSettings(sink), { actor: 'bench' });
    otel = registerOtelSdk();
    traced = (await createBenchApp({ pool: THROUGHPUT_POOL })).app;
    await traced.get(SmtpSettingsService).update(basicSettings(sink), { actor: 'bench' });
    const liveOtel = traced.get(MailerService);
    const spans = otel.spans;
    const exported: number[] = [];
    const live = app.get(MailerService);
    const mailerModule = app.get(ModuleMailer);
    const load = (send: (i: number) => Promise<unknown>) => () =>
      runLoad({ count: MESSAGES, concurrency: CONCURRENCY, send });

    const results = await alternate<LoadResult>(
      [
        { name: 'live', run: load((i) => live.send(benchMessage(i))) },
        { name: 'raw', run: load((i) => raw.sendMail(benchMessage(i, SENDER))) },
        { name: 'mailer-module', run: load((i) => mailerModule.sendMail(benchMessage(i, SENDER))) },
        {
          name: 'live-otel',
          // A round's exported spans are dropped once it ends, as an exporter would send them on.
          run: async () => {
            const result = await load((i) => liveOtel.send(benchMessage(i)))();
            await otel!.flush();
            exported.push(spans.getFinishedSpans().length);
            spans.reset();
            return result;
          },
        },
      ],
      { warmup: WARMUP, rounds: ROUNDS, label: 'send-throughput' },
    );

    const rawRounds = results.get('raw')!;
    const rows = [...results].map(([name, rounds]) => {
      const failed = rounds.reduce((n, r) => n + r.failed, 0);
      mustBeZero(`${name} failed`, failed);
      if (failed) console.log(`${name} errors: ${describeErrors(rounds[0]!.errors)}`);
      return {
        name,
        msgsPerSec: median(rounds.map((r) => r.msgsPerSec)),
        p50: median(rounds.map((r) => r.p50)),
        p99: median(rounds.map((r) => r.p99)),
        cpu: median(rounds.map((r) => r.cpuPerMsg)),
        cpuRatio: median(pairedRatios(rounds, rawRounds, (r) => r.cpuPerMsg)),
        perRound: rounds.map((r) => r.msgsPerSec.toFixed(0)).join(' '),
        ratio: median(pairedRatios(rounds, rawRounds, (r) => r.msgsPerSec)),
        failed,
      };
    });
    printTable(
      `Send throughput: ${MESSAGES} messages at concurrency ${CONCURRENCY}, a pool of ${THROUGHPUT_POOL.maxConnections} connections (never replaced) each; median of ${ROUNDS} alternating rounds (after ${WARMUP} warm-up)`,
      [
        'variant',
        'msgs/s',
        'p50 ms',
        'p99 ms',
        'vs raw',
        'CPU µs/msg',
        'CPU vs raw',
        'failed',
        'msgs/s by round',
      ],
      rows.map((r) => [
        r.name,
        r.msgsPerSec,
        r.p50,
        r.p99,
        fixed2(r.ratio),
        r.cpu,
        fixed2(r.cpuRatio),
        r.failed,
        r.perRound,
      ]),
    );
    console.log(
      '"vs raw": median of the per-round ratios (round i of a variant against round i of raw). ' +
        '"CPU µs/msg": CPU time of this process per message; the sinks run in a child process.',
    );
    console.log(
      `live-otel: spans exported per round ${exported.join(' ')} (one smtp.send a message, none dropped)`,
    );
    const ratioOf = (name: string) => rows.find((r) => r.name === name)!.ratio;
    // Telemetry's own cost: the same transport with and without it, round by round.
    const otelVsLive = median(
      pairedRatios(results.get('live-otel')!, results.get('live')!, (r) => r.msgsPerSec),
    );
    summary(
      `send live/raw=${fixed2(ratioOf('live'))} mailer-module/raw=${fixed2(ratioOf('mailer-module'))} ` +
        `(target live/raw>=${TARGET} ${verdict(ratioOf('live') >= TARGET)}); with telemetry ` +
        `live-otel/raw=${fixed2(ratioOf('live-otel'))} (target >=${OTEL_TARGET} ${verdict(ratioOf('live-otel') >= OTEL_TARGET)}) ` +
        `live-otel/live=${fixed2(otelVsLive)}`,
    );
  } finally {
    raw.close();
    await traced?.close();
    await otel?.close();
    await app.close();
    await sinks.close();
  }
}

if (require.main === module) runAsScript('send-throughput', sendThroughput);
