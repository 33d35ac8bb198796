/**
 * One scenario of the fairness benchmark (fairness.bench.ts): an app with the outbox in a place of
 * its own, a good tenant on a healthy loopback server, and hostile neighbours set up as in
 * test/outbox/hostile-neighbours.integration-spec.ts; the good tenant's messages timed from enqueue
 * to arrival, and for a waiting burst backlog, what the app's process spends on it. Redis is the
 * tests' (TEST_REDIS_URL) under a key prefix of its own; PostgreSQL the tests' in a schema of its own.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createPostgresBackend, Queue, withBackend } from 'bullmq';
import { Redis } from 'ioredis';
import { MailerService, OutboxService, SmtpSettingsService } from '../../lib';
import { startHostileSmtp, type HostileSmtp } from '../../test/fixtures/hostile-smtp';
import { busiestWindow, inBatches, TEST_REDIS_URL } from '../../test/fixtures/outbox-kit';
import { basicSettingsFor } from '../../test/fixtures/peer-settings';
import { createSettingsApp, type SettingsApp } from '../../test/fixtures/settings-app';
import { startSmtpPeer, type SmtpPeer } from '../../test/fixtures/smtp-peer';
import { benchPlace, type BenchPlace } from './outbox-setup';

/** The hostile spec's tenants and sizes, the burst twice its backlog. */
export type Neighbour = 'stall' | 'mute' | 'locked' | 'burst';
export const SIZES = { burst: 2_000, locked: 200, stalled: 10, good: 200 } as const;
/** The vendor relay's limit, shared by every tenant without settings of its own (the burst). */
export const RATE = { limit: 2, windowMs: 1000 } as const;
export const CONCURRENCY = 4;
export const SHARE = 2;
/**
 * Connections never replaced while timed: smtp-server holds each new greeting back 100 ms (its
 * early-talker check), so a replacement after nodemailer's default 100 messages put an arrival
 * 100 ms late wherever it fell, in any scenario alike: a cost of the sink, which sat in the p99.
 */
const POOL = { maxMessages: 1_000_000 } as const;
/** Small, so that stalled and mute attempts end (and are tried again) within a scenario. */
export const ATTEMPT_TIMEOUT_MS = 2_000;
const SHUTDOWN_TIMEOUT_MS = 2_000;
/**
 * A stalled or mute tenant's messages are tried again until this long after their enqueue, then
 * fail: short, so that a scenario in which they starve the good tenant ends within the run.
 */
export const RETRY_WINDOW_MS = 10_000;
/** The good tenant enqueues one message every this many ms, whatever came of the previous ones. */
export const PACE_MS = 25;
/** How long the app's CPU is read while only the burst's backlog waits. */
export const CPU_WINDOW_MS = 10_000;
/** Far beyond what any scenario needs: only a hang reaches it. */
const HANG_MS = 120_000;

export interface WaitingCost {
  /** CPU seconds (user + system) of this process per wall second over the window. */
  cpuPerSec: number;
  /** Messages the relay accepted during the window (the limit lets 2 a second through). */
  relayed: number;
  /** From the first burst enqueue until every burst job was taken once (booked or sent), s. */
  bookedAfterSec: number;
  /** CPU seconds of this process over that time (the good tenant's messages included). */
  bookingCpuSec: number;
}

export interface ScenarioResult {
  /** Enqueue → arrival at the good tenant's server, ms, by message. */
  latencies: number[];
  /** Good messages whose enqueue failed, or that never arrived. */
  failed: number;
  missing: number;
  /** Connections the good tenant's server accepted while its messages were timed. */
  goodConnections: number;
  /** Connections the stalling and mute servers saw, failed sign-ins at the locked one. */
  stallConnections?: number;
  muteConnections?: number;
  lockedSignIns?: number;
  /** The most relay arrivals in any second (must stay at the limit). */
  relayBusiest?: number;
  waiting?: WaitingCost;
}

/** Runs one scenario from nothing to nothing: every server, the app and the place are gone after. */
export async function runScenario(
  backend: BenchPlace['backend'],
  neighbours: readonly Neighbour[],
  measureWaiting: boolean,
): Promise<ScenarioResult> {
  const has = (n: Neighbour) => neighbours.includes(n);
  const place = benchPlace(backend, TEST_REDIS_URL);
  const arrivals = new Map<string, number>();
  const relayTimes: number[] = [];
  const servers: Array<SmtpPeer | HostileSmtp> = [];
  let app: SettingsApp | undefined;
  let counts: JobCounts | undefined;
  try {
    const [good, relay] = await Promise.all([
      startSmtpPeer({
        onData: (message) => void arrivals.set(message.headers.subject ?? '', performance.now()),
      }),
      startSmtpPeer({ onData: () => void relayTimes.push(performance.now()) }),
    ]);
    servers.push(good, relay);
    const locked = has('locked')
      ? await startSmtpPeer({ users: { mailer: 'right-password' } })
      : undefined;
    const stall = has('stall') ? await startHostileSmtp('stall') : undefined;
    const mute = has('mute') ? await startHostileSmtp('mute') : undefined;
    for (const server of [locked, stall, mute]) if (server) servers.push(server);

    app = await createSettingsApp({
      retry: { attempts: 1 },
      attemptTimeoutMs: ATTEMPT_TIMEOUT_MS,
      pool: POOL,
      relay: {
        transport: `smtp://${relay.host}:${relay.port}`,
        from: 'relay@vendor.example.com',
        rateLimit: RATE,
      },
      outbox: place.options({
        concurrency: CONCURRENCY,
        tenantConcurrency: SHARE,
        shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS,
        retryWindowMs: RETRY_WINDOW_MS,
      }),
    });
    const settings = app.app.get(SmtpSettingsService);
    const save = (tenant: string, body: Record<string, unknown>) =>
      settings.update(body, { tenant });
    await save('good', basicSettingsFor(good, 'any'));
    if (stall) await save('stall', basicSettingsFor(stall, 'any'));
    if (mute) await save('mute', basicSettingsFor(mute, 'any'));
    if (locked) await save('locked', basicSettingsFor(locked, 'wrong-password'));

    const mailer = app.app.get(MailerService);
    const send = (tenant: string, subject: string) =>
      mailer.enqueue({ to: `${tenant}@example.com`, subject, text: 'x' }, { tenant });
    // The good tenant's route is open before anything is timed: its first message pays for the
    // settings read, the pool and the server's greeting delay in every scenario alike.
    await send('good', 'good warm-up');
    await good.waitForMessages(1, HANG_MS);

    // The hostile tenants first: the good tenant's mail comes in behind all of theirs.
    const enqueue = (tenant: string, count: number) =>
      inBatches(count, 50, (i) => send(tenant, `${tenant} ${i}`));
    const burstFrom = performance.now();
    const burstCpu = process.cpuUsage();
    if (stall) await enqueue('stall', SIZES.stalled);
    if (mute) await enqueue('mute', SIZES.stalled);
    if (has('burst')) await enqueue('burst', SIZES.burst);
    if (locked) await enqueue('locked', SIZES.locked);
    // Their attempts are under way (the hostile servers stopped answering) before the good
    // tenant's first message.
    await Promise.all([stall?.stalled(), mute?.stalled()]);

    const connectionsBefore = good.connections;
    const enqueuedAt = new Float64Array(SIZES.good);
    let failed = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: SIZES.good }, async (_, i) => {
        await sleep(Math.max(0, started + i * PACE_MS - performance.now()));
        enqueuedAt[i] = performance.now();
        await send('good', `good ${i}`).catch(() => void failed++);
      }),
    );
    await good.waitForMessages(1 + SIZES.good - failed, HANG_MS).catch(() => undefined);
    const goodConnections = good.connections - connectionsBefore;
    const latencies: number[] = [];
    for (let i = 0; i < SIZES.good; i++) {
      const at = arrivals.get(`good ${i}`);
      if (at !== undefined) latencies.push(at - enqueuedAt[i]!);
    }

    let waiting: WaitingCost | undefined;
    if (measureWaiting && has('burst')) {
      counts = jobCounts(place);
      waiting = await waitingCost(counts, relayTimes, burstFrom, burstCpu);
    }
    const outbox = app.app.get(OutboxService);
    const goodFailed = (await outbox.summary('good')).counts.failed;
    return {
      latencies,
      failed: failed + goodFailed,
      missing: SIZES.good - failed - latencies.length,
      goodConnections,
      stallConnections: stall?.connections,
      muteConnections: mute?.connections,
      lockedSignIns: locked?.authAttempts.filter((a) => !a.ok).length,
      relayBusiest: has('burst') ? busiestWindow(relayTimes, RATE.windowMs) : undefined,
      waiting,
    };
  } finally {
    await counts?.close();
    await app?.app.close();
    await Promise.all(servers.map((server) => server.close()));
    await place.drop();
  }
}

/**
 * Waits until every burst job was taken once (booked a slot ahead by the shared limiter, so
 * delayed, or sent), then reads the process's CPU over `CPU_WINDOW_MS`.
 */
async function waitingCost(
  counts: JobCounts,
  relayTimes: readonly number[],
  burstFrom: number,
  burstCpu: NodeJS.CpuUsage,
): Promise<WaitingCost> {
  const deadline = performance.now() + HANG_MS;
  for (;;) {
    const { wait = 0, prioritized = 0, delayed = 0, active = 0 } = await counts.read();
    // None left to take; all but the ones in flight wait in the delayed set or went.
    if (wait + prioritized === 0 && delayed + active + relayTimes.length >= SIZES.burst) break;
    if (performance.now() > deadline) throw new Error('the burst backlog was never all booked');
    await sleep(100);
  }
  const booking = process.cpuUsage(burstCpu);
  const bookedAt = performance.now();
  const relayedBefore = relayTimes.length;
  const cpu = process.cpuUsage();
  const from = performance.now();
  await sleep(CPU_WINDOW_MS);
  const used = process.cpuUsage(cpu);
  const wall = (performance.now() - from) / 1000;
  return {
    cpuPerSec: (used.user + used.system) / 1e6 / wall,
    relayed: relayTimes.length - relayedBefore,
    bookedAfterSec: (bookedAt - burstFrom) / 1000,
    bookingCpuSec: (booking.user + booking.system) / 1e6,
  };
}

/** BullMQ's counts of the outbox's jobs by state, read beside the app's queue. */
interface JobCounts {
  read(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

function jobCounts(place: BenchPlace): JobCounts {
  let redis: Redis | undefined;
  let queue: Queue;
  if (place.backend === 'redis') {
    redis = new Redis(place.connection, { maxRetriesPerRequest: 1 });
    queue = new Queue(place.queueName, { connection: redis, prefix: place.prefix });
  } else {
    const { Queue: PostgresQueue } = withBackend(createPostgresBackend);
    queue = new PostgresQueue(place.queueName, {
      connection: { connectionString: place.connection, schema: place.prefix, max: 1 },
    }) as unknown as Queue;
  }
  queue.on('error', () => undefined);
  return {
    read: () => queue.getJobCounts('wait', 'prioritized', 'delayed', 'active'),
    async close() {
      await queue.close();
      await redis?.quit();
    },
  };
}
