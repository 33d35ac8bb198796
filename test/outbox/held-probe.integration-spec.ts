import { randomBytes } from 'node:crypto';
import {
  InMemorySmtpSettingsStore,
  MailerService,
  OutboxService,
  SmtpSettingsService,
  type OutboxAlert,
  type OutboxOptions,
} from '../../lib';
import { outboxJobs } from '../fixtures/outbox-jobs';
import {
  inBatches,
  listAll,
  OUTBOX_BACKENDS,
  outboxPlace,
  until,
  type OutboxPlace,
} from '../fixtures/outbox-kit';
import { basicSettingsFor } from '../fixtures/peer-settings';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';

const MESSAGES = 30;
const SHARE = 2;
// Budgets, 5–10 times what a quiet 2-core machine needs, so that only a hang fails the proof.
const PER_MESSAGE_MS = 200;
const FIXED_MS = 10_000;
const TEST_MS = 3 * FIXED_MS + 3 * MESSAGES * PER_MESSAGE_MS;

describe.each(OUTBOX_BACKENDS)(
  'A held or deferred tenant on %s waits behind one probe',
  (backend) => {
    const apps: SettingsApp[] = [];
    const peers: SmtpPeer[] = [];
    const places: OutboxPlace[] = [];

    afterEach(async () => {
      await Promise.all(apps.splice(0).map((a) => a.app.close()));
      await Promise.all(peers.splice(0).map((p) => p.close()));
      await Promise.all(places.splice(0).map((p) => p.drop()));
    });

    async function tenantOn(peer: SmtpPeer, password: string, outbox: Partial<OutboxOptions>) {
      peers.push(peer);
      const place = outboxPlace(backend, 'probe');
      places.push(place);
      const alerts: OutboxAlert[] = [];
      const ctx = await createSettingsApp({
        store: new InMemorySmtpSettingsStore(),
        encryptionKey: randomBytes(32).toString('base64'),
        retry: { attempts: 1 },
        onAlert: (alert) => alerts.push(alert),
        outbox: place.options({ concurrency: 4, tenantConcurrency: SHARE, ...outbox }),
      });
      apps.push(ctx);
      const settings = ctx.app.get(SmtpSettingsService);
      await settings.update(basicSettingsFor(peer, password), { tenant: 'acme' });
      const mailer = ctx.app.get(MailerService);
      const ids = await inBatches(
        MESSAGES,
        10,
        async (i) =>
          (await mailer.enqueue({ to: `u${i}@example.com`, text: 'x' }, { tenant: 'acme' })).id,
      );
      return { ctx, outbox: ctx.app.get(OutboxService), settings, ids, alerts, place };
    }

    it(
      'a wrong password: the server sees a sign-in per attempt in flight, not per message; the right one sends them all, once',
      async () => {
        const peer = await startSmtpPeer({ users: { mailer: 'right-password' } });
        const { outbox, settings } = await tenantOn(peer, 'wrong-password', {
          holdRecheckMs: 10 * TEST_MS,
        });
        await until(
          async () => (await outbox.summary('acme')).counts.held === MESSAGES,
          'every message held',
          FIXED_MS + MESSAGES * PER_MESSAGE_MS,
        );
        expect(peer.authAttempts.filter((a) => !a.ok).length).toBeLessThanOrEqual(SHARE);
        const held = await listAll(outbox, 'acme');
        expect(held.every((e) => e.heldReason && e.attempts <= 1)).toBe(true);
        expect((await outbox.summary('acme')).waiting).toMatchObject({
          kind: 'held',
          reason: expect.stringMatching(/authentication failed/i),
        });

        await settings.update(basicSettingsFor(peer, 'right-password'), { tenant: 'acme' });
        await peer.waitForMessages(MESSAGES, FIXED_MS + MESSAGES * PER_MESSAGE_MS);
        await until(
          async () => (await outbox.summary('acme')).counts.sent === MESSAGES,
          'every message logged sent',
          FIXED_MS,
        );
        expect(peer.messages).toHaveLength(MESSAGES);
        expect((await outbox.summary('acme')).waiting).toBeNull();
      },
      TEST_MS,
    );

    it(
      "Gmail's daily limit (550 5.4.5): the tenant's mail is deferred with the reason and when it resumes, never failed, and the server is asked once per attempt in flight",
      async () => {
        let refusals = 0;
        const peer = await startSmtpPeer({
          onMailFrom: () => {
            refusals++;
            return { code: 550, message: '5.4.5 Daily user sending limit exceeded.' };
          },
        });
        const { outbox, alerts } = await tenantOn(peer, 'any', {});
        await until(
          async () => (await outbox.summary('acme')).counts.held === MESSAGES,
          'every message deferred',
          FIXED_MS + MESSAGES * PER_MESSAGE_MS,
        );
        expect(refusals).toBeLessThanOrEqual(SHARE);
        const entries = await listAll(outbox, 'acme');
        expect(
          entries.every((e) => /resumes after \d{4}-\d\d-\d\dT/.test(e.heldReason ?? '')),
        ).toBe(true);
        const summary = await outbox.summary('acme');
        expect(summary.counts.failed).toBe(0);
        expect(summary.waiting).toEqual({
          kind: 'deferred',
          reason: expect.stringMatching(/Daily user sending limit exceeded.*resumes after/),
          nextAttemptAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        });
        expect(alerts.some((a) => a.type === 'held' && a.tenant === 'acme')).toBe(true);
      },
      TEST_MS,
    );

    it(
      'held past holdWindowMs: every message fails with the reason it waited for, and an alert',
      async () => {
        const peer = await startSmtpPeer({ users: { mailer: 'right-password' } });
        const holdWindowMs = 1500;
        const { outbox, alerts, place } = await tenantOn(peer, 'wrong-password', {
          holdRecheckMs: 300,
          holdWindowMs,
        });
        await until(
          async () => (await outbox.summary('acme')).counts.failed === MESSAGES,
          'every message failed',
          FIXED_MS + holdWindowMs + MESSAGES * PER_MESSAGE_MS,
        );
        const entries = await listAll(outbox, 'acme');
        expect(entries.every((e) => e.lastError?.code === 'HELD_TOO_LONG')).toBe(true);
        expect(entries[0]!.lastError!.message).toMatch(
          /holdWindowMs.*authentication failed.*EAUTH/,
        );
        expect(alerts.filter((a) => a.type === 'failed').length).toBeGreaterThanOrEqual(1);
        const jobs = outboxJobs(place);
        try {
          expect(await jobs.unfinished('acme')).toBe(0);
        } finally {
          await jobs.close();
        }
        expect(peer.messages).toHaveLength(0);
      },
      TEST_MS,
    );
  },
);
