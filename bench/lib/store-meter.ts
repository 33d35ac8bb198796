/**
 * What the app's store clients ask of Redis and PostgreSQL, counted exactly in this process: the
 * outbox benchmark's cost per delivered message. Counts do not depend on how fast the machine is
 * (only on how often a worker finds its queue empty), so they are the primary figures.
 *
 * - **Redis round trips**, counted at the client: every write of a request to the socket of an
 *   ioredis client in this process (the outbox's, BullMQ's, the benchmark's own BullMQ), found by
 *   wrapping `Redis.prototype.sendCommand`, which instruments each client's socket on first use.
 *   A lone command is one write; a pipeline, and so a MULTI ... EXEC transaction, is written whole
 *   once, so it counts once; blocking commands (BullMQ's BZPOPMIN) count like any other. Each write
 *   is labelled with the commands it carried, a script by its name (EVALSHA of `moveToFinished`).
 * - **Redis commands**, counted by the server: the change of the sum of `calls` over
 *   `INFO commandstats` (commands that scripts run with `redis.call` included), read by an admin
 *   connection that is not counted, less the INFO calls themselves. The commands the clients sent
 *   are tallied here too: the difference is what ran inside Lua.
 * - **PostgreSQL statements**, counted at the client: every `pg.Client#query` (each pool, the
 *   outbox's and BullMQ's, goes through it), one statement each; labelled by BullMQ's command name
 *   or what the outbox's statement does. (`pg_stat_statements` is not loaded on the test server.)
 *
 * `install()` must run before the first client is created.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { Client, type Pool } from 'pg';

export type Tally = Map<string, number>;

/** Counts at one moment; `minus` gives a window's. */
export interface StoreCounts {
  redisRoundTrips: number;
  redisRoundTripsBy: Tally;
  /** Commands written by the clients (MULTI and EXEC included), before any script runs. */
  redisCommandsSent: number;
  redisCommandsSentBy: Tally;
  pgStatements: number;
  pgStatementsBy: Tally;
}

interface RedisInternals {
  stream?: { write: (...args: unknown[]) => boolean };
  scriptsSet?: Record<string, { sha: string }>;
}
interface SentCommand {
  name: string;
  args: unknown[];
}
type SendCommand = (this: Redis, command: SentCommand, stream?: unknown) => unknown;

class Counter {
  total = 0;
  readonly by: Tally = new Map();
  add(label: string, n = 1): void {
    this.total += n;
    this.by.set(label, (this.by.get(label) ?? 0) + n);
  }
}

const roundTrips = new Counter();
const commandsSent = new Counter();
const statements = new Counter();
/** Jobs finished (completed or failed) per BullMQ queue name, by any Worker in this process. */
const finished = new Map<string, number>();
const uncountedRedis = new WeakSet<object>();
const uncountedPg = new WeakSet<object>();
const instrumented = new WeakSet<object>();
const scriptNames = new Map<string, string>();
/** The commands of the request being written now: a lone command's, or a whole pipeline's. */
let writing: string[] | undefined;
const pipelines = new WeakMap<object, string[]>();
let installed = false;

export function install(): void {
  if (installed) return;
  installed = true;

  const sendCommand = Redis.prototype.sendCommand as unknown as SendCommand;
  (Redis.prototype as unknown as { sendCommand: SendCommand }).sendCommand = function (
    command,
    stream,
  ) {
    if (uncountedRedis.has(this)) return sendCommand.call(this, command, stream);
    const label = commandLabel(this, command);
    commandsSent.add(label);
    instrument(this as unknown as RedisInternals);
    if (stream && (stream as { isPipeline?: boolean }).isPipeline) {
      // ioredis writes a pipeline in the sendCommand call of its last command.
      let labels = pipelines.get(stream);
      if (!labels) pipelines.set(stream, (labels = []));
      labels.push(label);
      writing = labels;
    } else {
      writing = [label];
    }
    try {
      return sendCommand.call(this, command, stream);
    } finally {
      writing = undefined;
    }
  };

  const query = Client.prototype.query as unknown as (this: Client, ...args: unknown[]) => unknown;
  (Client.prototype as unknown as { query: typeof query }).query = function (...args) {
    if (!uncountedPg.has(this)) statements.add(statementLabel(args[0]));
    return query.apply(this, args);
  };

  const emit = Worker.prototype.emit as unknown as (
    this: Worker,
    event: string,
    ...args: unknown[]
  ) => boolean;
  (Worker.prototype as unknown as { emit: typeof emit }).emit = function (event, ...args) {
    if (event === 'completed' || event === 'failed') {
      finished.set(this.name, (finished.get(this.name) ?? 0) + 1);
    }
    return emit.call(this, event, ...args);
  };
}

/** A client of the benchmark's own (INFO, storage): not counted. */
export function uncounted<T extends Redis | Pool>(client: T): T {
  if (client instanceof Redis) uncountedRedis.add(client);
  else client.on('connect', (pgClient) => uncountedPg.add(pgClient));
  return client;
}

export function snapshot(): StoreCounts {
  return {
    redisRoundTrips: roundTrips.total,
    redisRoundTripsBy: new Map(roundTrips.by),
    redisCommandsSent: commandsSent.total,
    redisCommandsSentBy: new Map(commandsSent.by),
    pgStatements: statements.total,
    pgStatementsBy: new Map(statements.by),
  };
}

export function minus(after: StoreCounts, before: StoreCounts): StoreCounts {
  return {
    redisRoundTrips: after.redisRoundTrips - before.redisRoundTrips,
    redisRoundTripsBy: tallyMinus(after.redisRoundTripsBy, before.redisRoundTripsBy),
    redisCommandsSent: after.redisCommandsSent - before.redisCommandsSent,
    redisCommandsSentBy: tallyMinus(after.redisCommandsSentBy, before.redisCommandsSentBy),
    pgStatements: after.pgStatements - before.pgStatements,
    pgStatementsBy: tallyMinus(after.pgStatementsBy, before.pgStatementsBy),
  };
}

export function tallyMinus(after: Tally, before: Tally): Tally {
  const out: Tally = new Map();
  for (const [label, n] of after) {
    const d = n - (before.get(label) ?? 0);
    if (d !== 0) out.set(label, d);
  }
  return out;
}

/** Jobs of queue `name` finished so far by the Workers of this process. */
export function finishedJobs(name: string): number {
  return finished.get(name) ?? 0;
}

/** Resolves once `count` jobs of queue `name` have finished: their last write is done. */
export async function untilFinished(name: string, count: number, timeoutMs = 300_000) {
  const deadline = performance.now() + timeoutMs;
  while (finishedJobs(name) < count) {
    if (performance.now() > deadline) {
      throw new Error(`${finishedJobs(name)} of ${count} jobs of ${name} finished in time`);
    }
    await sleep(5);
  }
}

/** `calls` by command from `INFO commandstats` (`redis.call` inside scripts included). */
export async function commandStats(admin: Redis): Promise<Tally> {
  const text = await admin.info('commandstats');
  const calls: Tally = new Map();
  for (const [, name, n] of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    calls.set(name!, Number(n));
  }
  return calls;
}

/** The server's commands in a window, less the INFO of the admin connection that reads them. */
export function serverCommands(after: Tally, before: Tally): Tally {
  const delta = tallyMinus(after, before);
  delta.delete('info');
  return delta;
}

export function sum(tally: Tally): number {
  let total = 0;
  for (const n of tally.values()) total += n;
  return total;
}

function instrument(client: RedisInternals): void {
  const socket = client.stream;
  if (!socket || instrumented.has(socket)) return;
  instrumented.add(socket);
  const write = socket.write;
  socket.write = function (this: unknown, ...args: unknown[]) {
    const what = writing;
    roundTrips.add(!what ? '(unlabelled)' : what.length === 1 ? what[0]! : `[${runs(what)}]`);
    return write.apply(this, args);
  };
}

/** A write's commands, a run of one repeated as `name ×n` (batches of any size pool in one row). */
function runs(labels: readonly string[]): string {
  const out: string[] = [];
  for (let i = 0; i < labels.length;) {
    let j = i;
    while (labels[j] === labels[i]) j++;
    out.push(j - i > 1 ? `${labels[i]} ×n` : labels[i]!);
    i = j;
  }
  return out.join(', ');
}

function commandLabel(client: Redis, command: SentCommand): string {
  if (command.name !== 'evalsha' && command.name !== 'eval') return command.name;
  const sha = String(command.args[0]);
  let name = scriptNames.get(sha);
  if (name === undefined) {
    for (const [defined, script] of Object.entries(
      (client as unknown as RedisInternals).scriptsSet ?? {},
    )) {
      // BullMQ names its scripts `<name>:<version>`.
      scriptNames.set(script.sha, defined.replace(/:[\d.]+$/, ''));
    }
    name = scriptNames.get(sha) ?? `${sha.slice(0, 8)}…`;
  }
  return `${command.name} ${name}`;
}

let bullmqStatements: Map<string, string> | undefined;

function statementLabel(config: unknown): string {
  const text =
    typeof config === 'string'
      ? config
      : String((config as { text?: unknown } | undefined)?.text ?? '(a submittable)');
  bullmqStatements ??= loadBullmqStatements();
  const bullmq = bullmqStatements.get(text);
  if (bullmq) return `bullmq ${bullmq}`;
  if (/INSERT INTO \S+outbox_log"? /.test(text) && /add_job\(/.test(text)) {
    return 'outbox enqueue (log entry + add_job)';
  }
  if (text.trim().startsWith('WITH old AS')) return 'outbox log update (compare and set)';
  return text.replace(/\s+/g, ' ').trim().slice(0, 48);
}

/** BullMQ's PostgreSQL commands by their text (its package exports no path to them). */
function loadBullmqStatements(): Map<string, string> {
  const byText = new Map<string, string>();
  try {
    const local = createRequire(__filename);
    const file = join(dirname(local.resolve('bullmq')), 'postgres', 'sql-scripts.js');
    const { SQL_COMMANDS } = local(file) as { SQL_COMMANDS: Record<string, string> };
    for (const [name, text] of Object.entries(SQL_COMMANDS)) {
      byText.set(text, name.replace(/\.sql$/, ''));
    }
  } catch {
    // Labels only: the counts stand without them.
  }
  return byText;
}
