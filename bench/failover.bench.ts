/**
 * 9. Failover: what a tenant's failover to its backup connection costs, against sending directly
 * through the backup's server (the baseline: a tenant whose main settings name that server).
 * (a) The first message when main is down, in three ways: nothing listens (connection refused), a
 * server that greets 421, one that accepts TCP and never greets (it costs the attempt's deadline,
 * `attemptTimeoutMs`, set low here so that the run stays short). (b) Later messages while the
 * circuit is open: throughput and latency against the baseline. (c) The connections made to main
 * while the circuit is open: none for a minute (the circuits' clock is moved, not waited for),
 * then one probe.
 */
import { performance } from 'node:perf_hooks';
import { MailerService, SmtpSettingsService } from '../lib';
import { alternate, pairedRatios } from './lib/alternate';
import {
  createFailoverApp,
  startDownServer,
  type DownServer,
  type MainDown,
} from './lib/failover-setup';
import { describeErrors, runLoad, type LoadResult } from './lib/load';
import { mustBeZero, runAsScript, summary } from './lib/report';
import { basicSettings, benchMessage, USERS } from './lib/setup';
import { SinkProcess } from './lib/sink-process';
import { median } from './lib/stats';
import { printTable, verdict } from './lib/table';

/** The attempt's deadline: what a server that never greets costs the first message. */
const ATTEMPT_TIMEOUT_MS = 2_000;
const WAYS: readonly MainDown[] = ['refused', 'greets 421', 'never greets'];
const FIRST_ROUNDS = 5;
const OPEN_ROUNDS = 5;
const OPEN_MESSAGES = 300;
const CONCURRENCY = 10;

export async function failover(): Promise<void> {
  const sinks = await SinkProcess.start();
  const backup = await sinks.sink({ users: USERS });
  const down = new Map<MainDown, DownServer>();
  for (const way of WAYS) down.set(way, await startDownServer(way));
  const { app, clock } = await createFailoverApp({
    attemptTimeoutMs: ATTEMPT_TIMEOUT_MS,
  });
  const settings = app.get(SmtpSettingsService);
  const mailer = app.get(MailerService);
  let id = 0;
  const send = (tenant: string) => mailer.send(benchMessage(id++), { tenant });

  /** A tenant whose main is `main` (the backup's server: the baseline) and, if down, a backup. */
  const tenantOn = async (
    tenant: string,
    main: { host: string; port: number },
    withBackup: boolean,
  ) => {
    await settings.update(basicSettings(main), { tenant });
    if (withBackup) await settings.updateBackup(basicSettings(backup), { tenant });
  };

  try {
    // (a) The first message of a tenant, its channels new: the baseline opens one connection to
    // the server; a failover first tries main.
    const first = await alternate(
      [
        { name: 'direct', run: async (r) => firstMessage(`direct-${r}`, backup, false) },
        ...WAYS.map((way) => ({
          name: way,
          run: async (r: number) =>
            firstMessage(`${way.replace(/ /g, '-')}-${r}`, down.get(way)!, true),
        })),
      ],
      { warmup: 1, rounds: FIRST_ROUNDS, label: 'first message' },
    );
    async function firstMessage(
      tenant: string,
      main: { host: string; port: number },
      withBackup: boolean,
    ) {
      await tenantOn(tenant, main, withBackup);
      const started = performance.now();
      const result = await send(tenant);
      const ms = performance.now() - started;
      mustBeZero(
        `first message of ${tenant} not on the expected connection`,
        Number(result.connection !== (withBackup ? 'backup' : 'main')),
      );
      return ms;
    }
    const direct = first.get('direct')!;
    const added = WAYS.map((way) => ({
      way,
      ms: median(first.get(way)!),
      added: median(first.get(way)!.map((ms, i) => ms - direct[i]!)),
    }));
    printTable(
      `Failover (a): the first message when main is down, against sending directly through the backup's server (medians of ${FIRST_ROUNDS} rounds, attemptTimeoutMs=${ATTEMPT_TIMEOUT_MS})`,
      ['main', 'first message ms', 'added ms', 'at most', 'verdict'],
      [
        ['up (direct, the baseline)', median(direct), 0, '', ''],
        ...added.map(({ way, ms, added: extra }) => {
          const bound = way === 'never greets' ? ATTEMPT_TIMEOUT_MS + 250 : 250;
          return [way, ms, extra, bound, verdict(extra <= bound)];
        }),
      ],
    );

    // (b) Later messages while the circuit is open, against the baseline, both channels warm.
    await tenantOn('steady-direct', backup, false);
    await tenantOn('steady-open', down.get('greets 421')!, true);
    await send('steady-direct');
    if ((await send('steady-open')).connection !== 'backup') throw new Error('no failover');
    const load = (tenant: string) => async (): Promise<LoadResult> => {
      const result = await runLoad({
        count: OPEN_MESSAGES,
        concurrency: CONCURRENCY,
        send: () => send(tenant),
      });
      if (result.failed) console.log(`errors: ${describeErrors(result.errors)}`);
      mustBeZero(`failed sends of ${tenant}`, result.failed);
      return result;
    };
    const steady = await alternate(
      [
        { name: 'direct', run: load('steady-direct') },
        { name: 'circuit open', run: load('steady-open') },
      ],
      { warmup: 1, rounds: OPEN_ROUNDS, label: 'circuit open' },
    );
    const [d, o] = [steady.get('direct')!, steady.get('circuit open')!];
    const throughput = median(pairedRatios(o, d, (r) => r.msgsPerSec));
    const p50 = median(pairedRatios(o, d, (r) => r.p50));
    printTable(
      `Failover (b): ${OPEN_MESSAGES} messages at concurrency ${CONCURRENCY} while the circuit is open, against the baseline (medians of ${OPEN_ROUNDS} rounds)`,
      [
        'connection',
        'msgs/s',
        'p50 ms',
        'p99 ms',
        'open/direct msgs/s',
        'open/direct p50',
        'verdict',
      ],
      [
        [
          'direct (baseline)',
          median(d.map((r) => r.msgsPerSec)),
          median(d.map((r) => r.p50)),
          median(d.map((r) => r.p99)),
          '',
          '',
          '',
        ],
        [
          'backup, circuit open',
          median(o.map((r) => r.msgsPerSec)),
          median(o.map((r) => r.p50)),
          median(o.map((r) => r.p99)),
          throughput,
          p50,
          verdict(throughput >= 0.9),
        ],
      ],
    );

    // (c) Connections to main while the circuit is open, the clock moved over the minute.
    const counted: Array<[string, number, number, number, number]> = [];
    for (const way of ['greets 421', 'never greets'] as const) {
      const server = down.get(way)!;
      const tenant = `count-${way.replace(/ /g, '-')}`;
      await tenantOn(tenant, server, true);
      const at = server.connections;
      await send(tenant); // the failover
      const atFailover = server.connections - at;
      const opened = server.connections;
      for (let i = 0; i < 60; i++) {
        clock.now += i === 59 ? 999 : 1_000; // 59.999 s after the failover at the end
        await send(tenant);
      }
      const whileOpen = server.connections - opened;
      mustBeZero(`connections to main (${way}) within the minute`, whileOpen);
      clock.now += 1;
      await send(tenant); // the probe
      await send(tenant); // after it: the backup again
      counted.push([way, atFailover, 60, whileOpen, server.connections - opened]);
    }
    printTable(
      'Failover (c): connections to main while the circuit is open (the circuits clock moved, not waited for)',
      [
        'main',
        'at the failover',
        'messages within 59.999 s',
        'connections then',
        'after 60 s (probe + 1 message)',
      ],
      counted,
    );
    const firstOf = (way: MainDown) => Math.round(added.find((a) => a.way === way)!.added);
    summary(
      `failover first message +${firstOf('refused')}ms refused, +${firstOf('greets 421')}ms 421, +${firstOf('never greets')}ms never greets (attemptTimeoutMs=${ATTEMPT_TIMEOUT_MS}); circuit open/direct msgs/s=${throughput.toFixed(2)} p50=${p50.toFixed(2)} (target >=0.9 ${verdict(throughput >= 0.9)}); main connections while open=${counted.map((c) => c[3]).join('/')} (must be 0), after 60 s=${counted.map((c) => c[4]).join('/')}`,
    );
  } finally {
    await app.close();
    for (const server of down.values()) await server.close();
    await sinks.close();
  }
}

runAsScript('failover', failover);
