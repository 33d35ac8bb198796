import { randomBytes } from 'node:crypto';
import {
  InMemorySmtpSettingsStore,
  MailerService,
  OutboxService,
  SmtpSettingsService,
  type SmtpSettingsModuleOptions,
} from '../../lib';
import { startHostileSmtp, type HostileSmtp } from '../fixtures/hostile-smtp';
import { outboxJobs } from '../fixtures/outbox-jobs';
import { inBatches, OUTBOX_BACKENDS, outboxPlace, until } from '../fixtures/outbox-kit';
import { basicSettingsFor } from '../fixtures/peer-settings';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';

const REPLICAS = 2;
const STALLED = 10;
const LOCKED = 40;
const GOOD = 20;
/** Each tenant's share across both replicas: their 2 × 4 slots leave 6 free whatever one does. */
const SHARE = 2;
/** Longer than the test: a stalled or mute attempt ends only when its replica shuts down. */
const ATTEMPT_TIMEOUT_MS = 600_000;
const SHUTDOWN_TIMEOUT_MS = 1_000;
// Budgets, 5–10 times what a quiet 2-core machine needs, so that only a hang fails the proof.
const PER_MESSAGE_MS = 100;
const FIXED_MS = 15_000;
const ALL = 2 * STALLED + LOCKED + GOOD;
const TEST_MS = 3 * FIXED_MS + 3 * ALL * PER_MESSAGE_MS;

describe.each(OUTBOX_BACKENDS)('Hostile neighbours across two replicas on %s', (backend) => {
  const place = outboxPlace(backend, 'hostile_replicas');
  const servers: Array<SmtpPeer | HostileSmtp> = [];
  const apps: SettingsApp[] = [];

  afterAll(async () => {
    await Promise.all(apps.map((a) => a.app.close()));
    await Promise.all(servers.map((server) => server.close()));
    await place.drop();
  });

  it(
    "the good tenant's mail goes while a stalling, a mute and a locked tenant each hold at most their share of both replicas' slots; the shutdown interrupts the stalled attempts and loses nothing",
    async () => {
      const [good, locked] = await Promise.all([
        startSmtpPeer(),
        startSmtpPeer({ users: { mailer: 'right-password' } }),
      ]);
      const [stall, mute] = await Promise.all([
        startHostileSmtp('stall'),
        startHostileSmtp('mute'),
      ]);
      servers.push(good!, locked!, stall!, mute!);
      const options: Partial<SmtpSettingsModuleOptions> = {
        store: new InMemorySmtpSettingsStore(),
        encryptionKey: randomBytes(32).toString('base64'),
        retry: { attempts: 1 },
        attemptTimeoutMs: ATTEMPT_TIMEOUT_MS,
        outbox: place.options({
          concurrency: 4,
          tenantConcurrency: SHARE,
          shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS,
          holdRecheckMs: 10 * TEST_MS,
          retryWindowMs: 10 * TEST_MS,
        }),
      };
      for (let i = 0; i < REPLICAS; i++) apps.push(await createSettingsApp(options));
      const [first] = apps;
      const settings = first!.app.get(SmtpSettingsService);
      await settings.update(basicSettingsFor(good!, 'any'), { tenant: 'good' });
      await settings.update(basicSettingsFor(stall!, 'any'), { tenant: 'stall' });
      await settings.update(basicSettingsFor(mute!, 'any'), { tenant: 'mute' });
      await settings.update(basicSettingsFor(locked!, 'wrong-password'), { tenant: 'locked' });

      // Each replica enqueues half of every tenant's mail; the good tenant's comes in last.
      const enqueue = (tenant: string, count: number) =>
        inBatches(count, 10, (i) =>
          apps[i % REPLICAS]!.app.get(MailerService).enqueue(
            { to: `${tenant}${i}@example.com`, text: 'x' },
            { tenant },
          ),
        );
      await enqueue('stall', STALLED);
      await enqueue('mute', STALLED);
      await enqueue('locked', LOCKED);
      await enqueue('good', GOOD);

      await good!.waitForMessages(GOOD, FIXED_MS + ALL * PER_MESSAGE_MS);
      const outbox = first!.app.get(OutboxService);
      await until(
        async () => (await outbox.summary('locked')).counts.held === LOCKED,
        "all of the locked tenant's mail held",
        FIXED_MS + LOCKED * PER_MESSAGE_MS,
      );
      // The share holds across the replicas; each replica's gate lets at most the attempts in
      // flight before its own first refusal through.
      expect(stall!.connections).toBeLessThanOrEqual(SHARE);
      expect(mute!.connections).toBeLessThanOrEqual(SHARE);
      const refused = locked!.authAttempts.filter((a) => !a.ok).length;
      expect(refused).toBeGreaterThanOrEqual(1);
      expect(refused).toBeLessThanOrEqual(SHARE * REPLICAS);

      // Both replicas stop: the stalled and mute attempts are interrupted before DATA and go back
      // to the queue, not failed, not uncertain.
      await Promise.all(apps.splice(0).map((a) => a.app.close()));
      const reader = await createSettingsApp({
        ...options,
        outbox: { ...options.outbox!, worker: false },
      });
      apps.push(reader);
      const jobs = outboxJobs(place);
      try {
        for (const [tenant, count] of [
          ['stall', STALLED],
          ['mute', STALLED],
          ['locked', LOCKED],
        ] as const) {
          const { counts } = await reader.app.get(OutboxService).summary(tenant);
          expect({
            tenant,
            failed: counts.failed,
            uncertain: counts.uncertain,
            sent: counts.sent,
          }).toEqual({
            tenant,
            failed: 0,
            uncertain: 0,
            sent: 0,
          });
          expect({ tenant, jobs: await jobs.unfinished(tenant) }).toEqual({ tenant, jobs: count });
        }
      } finally {
        await jobs.close();
      }
      expect(good!.messages).toHaveLength(GOOD);
    },
    TEST_MS,
  );
});
