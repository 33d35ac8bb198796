/**
 * 6. Many tenants on one process: 10,000 tenants configured in PostgreSQL, then one message each to
 * 2,000 tenants picked at random (with repetition), all to one loopback sink. Reports the heap per
 * tenant (never used, and used then idle), the open SMTP sockets (at most maxOpenRoutes × pool
 * size), a tenant's first message against a warm one, and GET /smtp-settings with 10,000 tenants
 * against 1 tenant, side by side. Run with --expose-gc (npm run bench does).
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { INestApplication } from '@nestjs/common';
import { MailerService } from '../lib';
import { uniqueName } from '../test/fixtures/postgres';
import { collectGarbage } from './lib/alternate';
import { HttpLoadClient } from './lib/http-load';
import { describeErrors, runLoad } from './lib/load';
import { mustBeZero, runAsScript, summary } from './lib/report';
import { benchMessage, USERS } from './lib/setup';
import { SinkProcess, type RemoteSink } from './lib/sink-process';
import { latencySummary } from './lib/stats';
import { fixed2, printTable, verdict } from './lib/table';
import { compareReads, READS_TARGET } from './lib/tenants-reads';
import { createTenantsApp, dropSchemas, seedTenants, tenantId } from './lib/tenants-setup';

const TENANTS = 10_000;
const MESSAGES = 2_000;
/** Messages to tenants whose pools are still open, after the random ones. */
const WARM = 50;
const CONCURRENCY = 20;
/** The module's defaults: maxOpenRoutes, and nodemailer's pool of 5 connections. */
const MAX_OPEN_ROUTES = 100;
const POOL_SIZE = 5;
const SOCKET_BOUND = MAX_OPEN_ROUTES * POOL_SIZE;
/** Longer than the random sends take, so that the bound, not the idle timeout, closes pools then. */
const IDLE_MS = 15_000;
/** Tenants never used, each sent one message and then another, one at a time. */
const PAIRS = 50;

const heapUsed = (): number => {
  collectGarbage();
  return process.memoryUsage().heapUsed;
};

export async function tenants(): Promise<void> {
  if (!(globalThis as { gc?: unknown }).gc) throw new Error('run with node --expose-gc');
  const [big, one] = [uniqueName('bench_tenants'), uniqueName('bench_one_tenant')];
  const key = randomBytes(32).toString('base64');
  const sinks = await SinkProcess.start();
  const client = await HttpLoadClient.start();
  const apps: INestApplication[] = [];
  try {
    const sink = await sinks.sink({ users: USERS, ids: MESSAGES + WARM + 2 * PAIRS });
    const seedSec = await seedTenants(big, key, TENANTS, sink);
    await seedTenants(one, key, 1, sink);
    console.log(`${TENANTS} tenants configured in ${seedSec.toFixed(1)} s`);

    // One app on each set of tables; nothing of a tenant is read before it is used.
    const base = heapUsed();
    const oneApp = await createTenantsApp(one, key);
    apps.push(oneApp.app);
    const withOne = heapUsed();
    const bigApp = await createTenantsApp(big, key, { routeIdleTimeoutMs: IDLE_MS });
    apps.push(bigApp.app);
    const withAll = heapUsed();
    const unusedPerTenant = (withAll - withOne - (withOne - base)) / (TENANTS - 1);

    const mailer = bigApp.app.get(MailerService);
    const sends = await sendToRandomTenants(mailer, sink);
    const idle = await waitForIdle(sink);
    const idlePerTenant = (heapUsed() - withAll) / sends.tenants;
    const pairs = await firstThenWarm(mailer, sends.used);
    const counts = await sink.counts();
    const lost = mustBeZero('lost messages', counts.filter((n) => n === 0).length);
    const duplicated = mustBeZero('duplicated messages', counts.filter((n) => n > 1).length);
    const bound = verdict(Math.max(sends.openAtEnd, sends.peakOpen) <= SOCKET_BOUND);
    printTable(
      `Sockets and heap: ${TENANTS} tenants configured; ${MESSAGES} messages to ${sends.tenants} of them at random (concurrency ${CONCURRENCY}), then ${WARM} to tenants just used`,
      ['figure', 'value'],
      [
        ['sends failed (must be 0)', sends.failed + pairs.failed],
        ['messages lost / duplicated at the sink (must be 0)', `${lost} / ${duplicated}`],
        ['open SMTP sockets at the end of the random sends', sends.openAtEnd],
        ['open SMTP sockets at most (sampled every 100 ms)', sends.peakOpen],
        [`bound: maxOpenRoutes ${MAX_OPEN_ROUTES} × pool ${POOL_SIZE}`, `${SOCKET_BOUND} ${bound}`],
        ['connections opened by the random sends', sends.connectionsOpened],
        ['connections opened by the warm sends (0: pools still open)', sends.warmConnections],
        [`every pool closed when idle (routeIdleTimeoutMs ${IDLE_MS})`, idle],
        ['heap per tenant configured, never used (bytes)', unusedPerTenant.toFixed(1)],
        ['heap per tenant used, now idle (KiB)', (idlePerTenant / 1024).toFixed(2)],
      ],
    );
    printTable(
      "A tenant's first message (settings read from PostgreSQL, secret opened, pool opened: the sink holds every greeting 100 ms) against a warm one (its pool open), ms",
      ['messages', 'count', 'p50', 'p99', 'max'],
      [
        latencyRow(`first, concurrency ${CONCURRENCY}`, sends.first),
        latencyRow('again, pool maybe closed to make room', sends.repeat),
        latencyRow(`warm, concurrency ${CONCURRENCY}`, sends.warm),
        latencyRow('first, one at a time', pairs.first),
        latencyRow('warm, one at a time (right after)', pairs.warm),
      ],
    );
    const [first, warm] = [latencySummary(sends.first), latencySummary(sends.warm)];
    const [soloFirst, soloWarm] = [latencySummary(pairs.first), latencySummary(pairs.warm)];

    const reads = await compareReads(client, TENANTS, bigApp.app, oneApp.app, bigApp.store);
    summary(
      `tenants ${TENANTS} seeded in ${seedSec.toFixed(0)}s; heap unused=${unusedPerTenant.toFixed(0)}B/tenant ` +
        `idle=${(idlePerTenant / 1024).toFixed(1)}KiB/tenant; sockets end=${sends.openAtEnd} ` +
        `peak=${sends.peakOpen} (<=${SOCKET_BOUND} ${bound}); first/warm ms c${CONCURRENCY} ` +
        `p50=${ms(first.p50)}/${ms(warm.p50)} p99=${ms(first.p99)}/${ms(warm.p99)}, one at a time ` +
        `p50=${ms(soloFirst.p50)}/${ms(soloWarm.p50)}; GET p99 1-tenant/10k=${fixed2(reads.p99Ratio)} ` +
        `(target>=${READS_TARGET} ${verdict(reads.p99Ratio >= READS_TARGET)}) req/s 10k/1=${fixed2(reads.rateRatio)}; ` +
        'lost, failed, over the bound must be 0',
    );
  } finally {
    await Promise.all(apps.map((app) => app.close()));
    await client.close();
    await sinks.close();
    await dropSchemas([big, one]);
  }
}

const ms = (value: number): string => value.toFixed(1);

function latencyRow(name: string, values: Float64Array): Array<string | number> {
  const { p50, p99, max } = latencySummary(values);
  return [name, values.length, p50, p99, max];
}

/** A small PRNG with a fixed seed: every run picks the same tenants. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function sendToRandomTenants(mailer: MailerService, sink: RemoteSink) {
  const random = mulberry32(12);
  const picks = Array.from({ length: MESSAGES }, () => Math.floor(random() * TENANTS));
  const seen = new Set<number>();
  const isFirst = new Uint8Array(MESSAGES);
  const before = await sink.stats();
  let peakOpen = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peakOpen = Math.max(peakOpen, (await sink.stats()).openConnections);
      await sleep(100);
    }
  })();
  const load = await runLoad({
    count: MESSAGES,
    concurrency: CONCURRENCY,
    send: (i) => {
      const tenant = picks[i]!;
      if (!seen.has(tenant)) isFirst[i] = 1;
      seen.add(tenant);
      return mailer.send(benchMessage(i), { tenant: tenantId(tenant) });
    },
  });
  sampling = false;
  await sampler;
  const afterRandom = await sink.stats();

  // The last tenants used hold the most recently used pools: well within maxOpenRoutes.
  const recent = [...new Set([...picks].reverse())].slice(0, WARM);
  const warm = await runLoad({
    count: WARM,
    concurrency: CONCURRENCY,
    send: (k) => mailer.send(benchMessage(MESSAGES + k), { tenant: tenantId(recent[k]!) }),
  });
  const afterWarm = await sink.stats();
  for (const [name, result] of [
    ['random', load],
    ['warm', warm],
  ] as const) {
    if (result.failed) console.log(`${name} send errors: ${describeErrors(result.errors)}`);
  }
  const pick = (wanted: number) =>
    load.latencies.filter((latency, i) => isFirst[i] === wanted && !Number.isNaN(latency));
  return {
    tenants: seen.size,
    used: seen,
    failed: mustBeZero('failed sends', load.failed + warm.failed),
    openAtEnd: afterRandom.openConnections,
    peakOpen,
    overBound: mustBeZero(
      'open sockets over the bound',
      Math.max(0, Math.max(peakOpen, afterRandom.openConnections) - SOCKET_BOUND),
    ),
    connectionsOpened: afterRandom.connections - before.connections,
    warmConnections: afterWarm.connections - afterRandom.connections,
    first: pick(1),
    repeat: pick(0),
    warm: warm.latencies.filter((latency) => !Number.isNaN(latency)),
  };
}

/**
 * Tenants never used before, one at a time: a first message (the settings read, the secret opened,
 * a pool opened), then a second one through the open pool.
 */
async function firstThenWarm(mailer: MailerService, used: Set<number>) {
  const fresh: number[] = [];
  for (let i = TENANTS - 1; fresh.length < PAIRS; i--) if (!used.has(i)) fresh.push(i);
  const first = new Float64Array(PAIRS);
  const warm = new Float64Array(PAIRS);
  let failed = 0;
  for (let k = 0; k < PAIRS; k++) {
    for (const [times, id] of [
      [first, MESSAGES + WARM + 2 * k],
      [warm, MESSAGES + WARM + 2 * k + 1],
    ] as const) {
      const started = performance.now();
      try {
        await mailer.send(benchMessage(id), { tenant: tenantId(fresh[k]!) });
        times[k] = performance.now() - started;
      } catch (error) {
        failed++;
        console.log(`one-at-a-time send failed: ${String(error)}`);
      }
    }
  }
  mustBeZero('failed one-at-a-time sends', failed);
  return { first, warm, failed };
}

/** Waits for the idle timeout to close every pool; says after how long, or that it did not. */
async function waitForIdle(sink: RemoteSink): Promise<string> {
  const started = performance.now();
  while (performance.now() - started < IDLE_MS + 10_000) {
    if ((await sink.stats()).openConnections === 0) {
      return `yes, ${((performance.now() - started) / 1000).toFixed(1)} s after the last send`;
    }
    await sleep(250);
  }
  const open = (await sink.stats()).openConnections;
  mustBeZero('sockets still open long after the idle timeout', open);
  return `no: ${open} still open`;
}

if (require.main === module) runAsScript('tenants', tenants);
