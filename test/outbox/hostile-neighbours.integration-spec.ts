/**
 * @long-running: thousands of messages through one outbox beside hostile servers, then drained by
 * a second app, on each backend.
 */
import { randomBytes } from 'node:crypto';
import {
  InMemorySmtpSettingsStore,
  MailerService,
  OutboxService,
  SmtpSettingsService,
  type SmtpSettingsModuleOptions,
} from '../../lib';
import { startHostileSmtp, type HostileSmtp } from '../fixtures/hostile-smtp';
import { outboxJobs, type OutboxJobs } from '../fixtures/outbox-jobs';
import {
  bareMessageId,
  busiestWindow,
  inBatches,
  OUTBOX_BACKENDS,
  outboxPlace,
  until,
} from '../fixtures/outbox-kit';
import { basicSettingsFor } from '../fixtures/peer-settings';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';

/** Scaled down from the benchmark's (`npm run bench -- fairness`), which also times them. */
const BURST = 1_000;
const LOCKED = 200;
const STALLED = 10;
const GOOD = 50;
const RATE = { limit: 2, windowMs: 1000 };
/** The share of each tenant: the worker's 4 slots leave 2 free whatever a tenant's server does. */
const SHARE = 2;
/** Longer than the test: a stalled or mute attempt ends only when the app shuts down. */
const ATTEMPT_TIMEOUT_MS = 600_000;
const SHUTDOWN_TIMEOUT_MS = 2_000;
// Budgets, 5–10 times what a quiet 2-core machine needs, so that only a hang fails the proof.
/** A message enqueued and delivered, or booked behind the rate limit, or held: tens of ms. */
const PER_MESSAGE_MS = 40;
/** The apps started, settings saved, the shutdown, a release after a save. */
const FIXED_MS = 20_000;
const ALL = BURST + LOCKED + 2 * STALLED + GOOD;
const TEST_MS = 3 * FIXED_MS + 3 * ALL * PER_MESSAGE_MS;
/** What the end of the test needs after its last wait: closing the apps and the peers. */
const SHUTDOWN_MARGIN_MS = 10_000;

describe.each(OUTBOX_BACKENDS)('Hostile neighbours in one outbox on %s', (backend) => {
  const place = outboxPlace(backend, 'hostile');
  const store = new InMemorySmtpSettingsStore();
  const encryptionKey = randomBytes(32).toString('base64');
  const peers: SmtpPeer[] = [];
  const hostile: HostileSmtp[] = [];
  const apps: SettingsApp[] = [];

  afterAll(async () => {
    await Promise.all(apps.map((a) => a.app.close()));
    await Promise.all([...peers, ...hostile].map((server) => server.close()));
    await place.drop();
  });

  const options = (
    relay: SmtpPeer,
    rate: { limit: number; windowMs: number },
  ): Partial<SmtpSettingsModuleOptions> => ({
    store,
    encryptionKey,
    retry: { attempts: 1 },
    attemptTimeoutMs: ATTEMPT_TIMEOUT_MS,
    relay: {
      transport: `smtp://${relay.host}:${relay.port}`,
      from: 'relay@vendor.example.com',
      rateLimit: rate,
    },
    outbox: place.options({
      concurrency: 4,
      tenantConcurrency: SHARE,
      shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS,
      // No recheck within the test: every sign-in the locked server sees is counted below.
      holdRecheckMs: 10 * TEST_MS,
      retryWindowMs: 10 * TEST_MS,
    }),
  });

  it(
    "delivers the good tenant's mail beside a stalling, a mute, a locked and a bursting tenant; each hostile one takes at most its share, signs in once, keeps its limit; once fixed, all their mail goes, once, and the burst's waits for its slots",
    async () => {
      // Each wait below may use what is left of the test's budget: on a busy machine one step can
      // take far longer than usual while the whole still fits, and a failure still names its step.
      const deadline = Date.now() + TEST_MS - SHUTDOWN_MARGIN_MS;
      const budget = () => Math.max(1_000, deadline - Date.now());
      const burstTimes: number[] = [];
      const [good, relay, locked, rescue] = await Promise.all([
        startSmtpPeer(),
        startSmtpPeer({ onData: () => void burstTimes.push(Date.now()) }),
        startSmtpPeer({ users: { mailer: 'right-password' } }),
        startSmtpPeer(),
      ]);
      peers.push(good!, relay!, locked!, rescue!);
      const [stall, mute] = await Promise.all([
        startHostileSmtp('stall'),
        startHostileSmtp('mute'),
      ]);
      hostile.push(stall!, mute!);

      const first = await createSettingsApp(options(relay!, RATE));
      apps.push(first);
      const settings = first.app.get(SmtpSettingsService);
      const save = (tenant: string, body: Record<string, unknown>) =>
        settings.update(body, { tenant });
      await save('good', basicSettingsFor(good!, 'any'));
      await save('stall', basicSettingsFor(stall!, 'any'));
      await save('mute', basicSettingsFor(mute!, 'any'));
      await save('locked', basicSettingsFor(locked!, 'wrong-password'));

      const mailer = first.app.get(MailerService);
      const enqueue = (tenant: string, count: number) =>
        inBatches(count, 50, (i) =>
          mailer.enqueue(
            { to: `${tenant}${i}@example.com`, subject: `${tenant} ${i}`, text: 'x' },
            { tenant },
          ),
        );
      // The hostile tenants first: the good tenant's mail comes in behind all of theirs.
      await enqueue('stall', STALLED);
      await enqueue('mute', STALLED);
      await enqueue('burst', BURST);
      await enqueue('locked', LOCKED);
      await enqueue('good', GOOD);

      // Were a hostile tenant to take every slot, or the burst's backlog to go first, this would
      // wait for attempts that end only at shutdown, or for the burst at 2 a second.
      const outbox = first.app.get(OutboxService);
      await good!.waitForMessages(GOOD, budget());
      await until(
        async () => (await outbox.summary('locked')).counts.held === LOCKED,
        "all of the locked tenant's mail held",
        budget(),
      );

      // Each hostile tenant held at most its share of the slots, and the locked one signed in
      // only as often as it had attempts in flight before its first refusal.
      expect(stall!.connections).toBeLessThanOrEqual(SHARE);
      expect(mute!.connections).toBeLessThanOrEqual(SHARE);
      expect(locked!.authAttempts.filter((a) => !a.ok).length).toBeLessThanOrEqual(SHARE);
      expect(locked!.messages).toHaveLength(0);
      // The burst kept its limit, and went on beside the others.
      expect(burstTimes.length).toBeGreaterThan(0);
      expect(busiestWindow(burstTimes, RATE.windowMs)).toBeLessThanOrEqual(RATE.limit);
      expect((await outbox.summary('stall')).counts.failed).toBe(0);

      // Fixed: the locked tenant's password, the stalled and mute tenants' server; the shutdown
      // interrupts their attempts, which go back to the queue; a second app delivers them. The
      // burst goes on at its limit: its messages wait for their slots, none lost.
      await save('locked', basicSettingsFor(locked!, 'right-password'));
      await save('stall', basicSettingsFor(rescue!, 'any'));
      await save('mute', basicSettingsFor(rescue!, 'any'));
      // The save released the locked tenant's mail (the store's change reaches the app after the
      // save returns, and the release goes message by message): all of it goes before the app
      // stops. A replica that stops mid-release leaves the rest to their own rechecks.
      await locked!.waitForMessages(LOCKED, budget());
      await first.app.close();
      apps.splice(apps.indexOf(first), 1);
      const second = await createSettingsApp(options(relay!, RATE));
      apps.push(second);
      const jobs = outboxJobs(place);
      try {
        const left: Record<string, number> = {};
        await until(
          async () => {
            for (const t of ['good', 'stall', 'mute', 'locked']) left[t] = await jobs.unfinished(t);
            return Object.values(left).every((n) => n === 0);
          },
          () => `no job left but the burst's (left: ${JSON.stringify(left)})`,
          budget(),
        ).catch(async (error: Error) => {
          throw new Error(`${error.message}: ${await described(second, jobs, left)}`);
        });
        const reader = second.app.get(OutboxService);
        for (const tenant of ['good', 'stall', 'mute', 'locked', 'burst']) {
          const { counts } = await reader.summary(tenant);
          expect({ tenant, failed: counts.failed, uncertain: counts.uncertain }).toEqual({
            tenant,
            failed: 0,
            uncertain: 0,
          });
        }
        // The burst goes on at 2 a second: stopped, its jobs stand still to be counted (BullMQ's
        // PostgreSQL backend reads each job state in its own statement, so a moving job can be
        // missed). Every burst message was delivered or still has its job: none lost.
        await second.app.close();
        apps.splice(apps.indexOf(second), 1);
        const waiting = await jobs.unfinished('burst');
        expect(relay!.messages.length + waiting).toBeGreaterThanOrEqual(BURST);
      } finally {
        await jobs.close();
      }
      const arrived = [good!, relay!, locked!, rescue!].flatMap((peer) => peer.messages);
      const ids = arrived.map((m) => bareMessageId(m.headers.messageId));
      expect(new Set(ids).size).toBe(ids.length);
      expect(good!.messages).toHaveLength(GOOD);
      expect(locked!.messages).toHaveLength(LOCKED);
      expect(rescue!.messages).toHaveLength(2 * STALLED);
      expect(busiestWindow(burstTimes, RATE.windowMs)).toBeLessThanOrEqual(RATE.limit);
    },
    TEST_MS,
  );
});

/** What a proof that waited in vain names: each job left, as BullMQ and the send log see it. */
async function described(
  app: SettingsApp,
  jobs: OutboxJobs,
  left: Record<string, number>,
): Promise<string> {
  const outbox = app.app.get(OutboxService);
  const lines: string[] = [];
  for (const tenant of Object.keys(left).filter((t) => left[t])) {
    for (const { id, said } of await jobs.describe(tenant)) {
      const entry = await outbox.get(id, tenant);
      const logged = entry
        ? `${entry.status}, ${entry.attempts} attempts, ${entry.lastError?.code ?? 'no error'}`
        : 'not logged';
      lines.push(`${tenant} ${id}: job ${said}; log ${logged}`);
    }
  }
  return lines.join('; ');
}
