/**
 * The outbox's store cost per message against BullMQ alone: Redis round trips and commands,
 * PostgreSQL statements (counted as store-meter.ts explains), over a window that runs from the
 * first enqueue to the last job finished, so that the worker's tail (the `sent` entry, BullMQ's
 * completion) is in it. Printed as a table, a breakdown and the `summary: outbox-cost` line.
 */
import type { Redis } from 'ioredis';
import { summary } from './report';
import { median } from './stats';
import { commandStats, minus, serverCommands, snapshot, sum, type Tally } from './store-meter';
import { printTable, verdict, type Cell } from './table';

/** Per delivered message, enqueue and delivery, no rate limit (the targets). */
export const COST_TARGETS = { roundTrips: 3.5, commands: 42, statements: 3.5 } as const;

/** One window's counts. */
export interface Cost {
  messages: number;
  redisRoundTrips: number;
  redisRoundTripsBy: Tally;
  /** Executed by the server, scripts' `redis.call`s included. */
  redisCommands: number;
  redisCommandsBy: Tally;
  /** Written by the clients (so `redisCommands - redisCommandsSent` ran inside scripts). */
  redisCommandsSent: number;
  redisCommandsSentBy: Tally;
  pgStatements: number;
  pgStatementsBy: Tally;
}

/**
 * Runs `work` (which must resolve only once its last job has finished) and counts what it cost.
 * `admin`: an uncounted connection to the benchmark's own Redis, for INFO commandstats.
 */
export async function costOf<T>(
  admin: Redis | undefined,
  messages: number,
  work: () => Promise<T>,
): Promise<{ result: T; cost: Cost }> {
  const serverBefore = admin ? await commandStats(admin) : new Map<string, number>();
  const before = snapshot();
  const result = await work();
  const counted = minus(snapshot(), before);
  const server = admin ? serverCommands(await commandStats(admin), serverBefore) : new Map();
  return {
    result,
    cost: {
      messages,
      redisRoundTrips: counted.redisRoundTrips,
      redisRoundTripsBy: counted.redisRoundTripsBy,
      redisCommands: sum(server),
      redisCommandsBy: server,
      redisCommandsSent: counted.redisCommandsSent,
      redisCommandsSentBy: counted.redisCommandsSentBy,
      pgStatements: counted.pgStatements,
      pgStatementsBy: counted.pgStatementsBy,
    },
  };
}

export interface BackendCost {
  /** BullMQ alone: `Queue.add`, a no-op worker. */
  bullmq: Cost[];
  /** `MailerService.enqueue`, the outbox's worker delivering to the sink. */
  outbox: Cost[];
  /** `OutboxService.enqueue` on a queue no worker takes from. */
  enqueue: Cost[];
}

const perMessage = (costs: Cost[], figure: (c: Cost) => number): number =>
  median(costs.map((c) => figure(c) / c.messages));

const roundTrips = (costs: Cost[]) => perMessage(costs, (c) => c.redisRoundTrips);
const commands = (costs: Cost[]) => perMessage(costs, (c) => c.redisCommands);
const statements = (costs: Cost[]) => perMessage(costs, (c) => c.pgStatements);

export function reportCost(results: Map<string, BackendCost>, rounds: string): void {
  const rows: Cell[][] = [];
  for (const [backend, r] of results) {
    const variants: Array<[string, Cost[]]> = [
      ['BullMQ alone: add + no-op worker', r.bullmq],
      ['outbox: enqueue + worker, delivered', r.outbox],
      ['outbox: enqueue only (no worker)', r.enqueue],
    ];
    for (const [name, costs] of variants) {
      rows.push(
        backend === 'redis'
          ? [
              backend,
              name,
              roundTrips(costs),
              commands(costs),
              perMessage(costs, (c) => c.redisCommands - c.redisCommandsSent),
              '',
            ]
          : [backend, name, '', '', '', statements(costs)],
      );
    }
  }
  printTable(
    `Store cost per message, counted (not timed), from the first enqueue to the last job finished: median of ${rounds}`,
    ['backend', 'variant', 'round trips', 'commands', 'of which in scripts', 'statements'],
    rows,
  );
  console.log(
    'Redis round trips: requests written by the clients (a pipeline or MULTI/EXEC once). Commands: ' +
      'INFO commandstats on the benchmark’s own Redis, redis.call inside scripts included. ' +
      'Statements: pg.Client#query calls, each its own round trip (pg does not pipeline). ' +
      'BullMQ alone varies a little with timing: a worker that empties its queue asks again. ' +
      'Targets per delivered message: ' +
      `round trips <= ${COST_TARGETS.roundTrips}, commands <= ${COST_TARGETS.commands}, statements <= ${COST_TARGETS.statements}.`,
  );

  for (const [backend, r] of results) {
    const pick = (c: Cost) =>
      backend === 'redis'
        ? [
            ['round trips', c.redisRoundTripsBy],
            ['commands (server)', c.redisCommandsBy],
          ]
        : [['statements', c.pgStatementsBy]];
    for (const [index, [what]] of pick(r.outbox[0]!).entries()) {
      const of = (costs: Cost[]) => pooled(costs, (c) => pick(c)[index]![1] as Tally);
      const bullmq = of(r.bullmq);
      const outbox = of(r.outbox);
      const labels = [...new Set([...outbox.keys(), ...bullmq.keys()])].sort(
        (a, b) =>
          (outbox.get(b) ?? 0) - (outbox.get(a) ?? 0) ||
          (bullmq.get(b) ?? 0) - (bullmq.get(a) ?? 0),
      );
      const shown = labels.filter(
        (label) => (outbox.get(label) ?? 0) >= 0.005 || (bullmq.get(label) ?? 0) >= 0.005,
      );
      printTable(
        `${backend}: ${what as string} per message by what they were (all measured rounds pooled)`,
        ['what', 'BullMQ alone', 'outbox', 'difference'],
        [
          ...shown.map((label) => {
            const a = bullmq.get(label) ?? 0;
            const b = outbox.get(label) ?? 0;
            return [label, a, b, b - a];
          }),
          ['total', sum(bullmq), sum(outbox), sum(outbox) - sum(bullmq)],
        ],
      );
    }
  }

  const redis = results.get('redis');
  const pg = results.get('postgres');
  const rt = redis ? [roundTrips(redis.outbox), roundTrips(redis.bullmq)] : [NaN, NaN];
  const cmds = redis ? [commands(redis.outbox), commands(redis.bullmq)] : [NaN, NaN];
  const stmts = pg ? [statements(pg.outbox), statements(pg.bullmq)] : [NaN, NaN];
  const f = (values: number[]) => `${values[0]!.toFixed(2)} (bullmq ${values[1]!.toFixed(2)})`;
  summary(
    `outbox-cost redis rt/msg=${f(rt)} cmds/msg=${f(cmds)} pg stmts/msg=${f(stmts)} ` +
      `targets rt<=${COST_TARGETS.roundTrips} cmds<=${COST_TARGETS.commands} stmts<=${COST_TARGETS.statements}: ` +
      `rt ${verdict(rt[0]! <= COST_TARGETS.roundTrips)} cmds ${verdict(cmds[0]! <= COST_TARGETS.commands)} ` +
      `stmts ${verdict(stmts[0]! <= COST_TARGETS.statements)}`,
  );
}

/** Every round's tally added up, per message of all of them. */
function pooled(costs: Cost[], tally: (c: Cost) => Tally): Tally {
  const total: Tally = new Map();
  let messages = 0;
  for (const c of costs) {
    messages += c.messages;
    for (const [label, n] of tally(c)) total.set(label, (total.get(label) ?? 0) + n);
  }
  return new Map([...total].map(([label, n]) => [label, n / messages]));
}
