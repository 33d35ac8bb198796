import { MailerService, OutboxService } from '../../lib';
import {
  bareMessageId,
  inBatches,
  listAll,
  messageIdCounts,
  OUTBOX_BACKENDS,
  outboxPlace,
  recordsHolding,
  until,
} from '../fixtures/outbox-kit';
import { outboxJobs, type OutboxJobs } from '../fixtures/outbox-jobs';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';

const MESSAGES = 500;
/** Attempts the first messages have had when the server returns: the outage outlasts many retries. */
const ATTEMPTS_WHILE_DOWN = 3;
// Budgets, 5–10 times what a quiet 2-core machine needs, so that only a hang fails the proof.
/**
 * A message enqueued, refused, found in the store and delivered: 20–30 ms, 80 on a loaded one,
 * and more beside the crash proof and stress-ng (one loaded run needed over 120 s for the whole).
 */
const PER_MESSAGE_MS = 400;
/** The app and the server started; the longest backoff (1 s) before a retry finds the server back. */
const FIXED_MS = 20_000;
/** One phase's budget: the messages tried while the server is down, or delivered once it is back. */
const PHASE_MS = FIXED_MS + MESSAGES * PER_MESSAGE_MS;
/** The two phases, and the fixed waits after them (everything sent, no job left). */
const TEST_TIMEOUT_MS = 2 * PHASE_MS + 2 * FIXED_MS;
const RELAY_FROM = 'relay@vendor.example.com';
const BODY = 'Your payslip for the month, net amount';

describe.each(OUTBOX_BACKENDS)(
  'The outbox on %s through an outage of the SMTP server',
  (backend) => {
    const place = outboxPlace(backend, 'outage');
    let jobs: OutboxJobs | undefined;
    let ctx: SettingsApp | undefined;
    let peer: SmtpPeer;
    let port: number;

    beforeAll(async () => {
      peer = await startSmtpPeer();
      port = peer.port;
      ctx = await createSettingsApp({
        relay: { transport: `smtp://${peer.host}:${port}`, from: RELAY_FROM },
        // The direct path: two attempts within milliseconds, then the caller gets the error.
        retry: { attempts: 2, baseDelayMs: 10 },
        outbox: place.options({
          concurrency: 8,
          backoff: { baseDelayMs: 200, maxDelayMs: 1000 },
          // No message may fail for lateness while the proof runs, however slow the machine.
          retryWindowMs: 2 * TEST_TIMEOUT_MS,
        }),
      });
      // Once the app has made the queue's store.
      jobs = outboxJobs(place);
    });

    afterAll(async () => {
      await jobs?.close();
      await ctx?.app.close();
      await peer?.close();
      await place.drop();
    });

    it(
      `delivers every one of ${MESSAGES} messages enqueued while the server was down exactly once when it returns on the same port, and their bodies then leave the queue's store`,
      async () => {
        const mailer = ctx!.app.get(MailerService);
        const outbox = ctx!.app.get(OutboxService);
        await peer.close();

        // What the outbox saves the product from: a direct send gives up within its retries.
        await expect(
          mailer.send({ to: 'direct@example.com', subject: 'Direct', text: 'lost' }),
        ).rejects.toThrow();

        const enqueued = await inBatches(MESSAGES, 50, (i) =>
          mailer.enqueue({
            to: `employee${i}@example.com`,
            subject: `Payslip ${i}`,
            text: `${BODY} No. ${i}`,
          }),
        );
        expect(enqueued.every((result) => result.status === 'queued')).toBe(true);
        expect(new Set(enqueued.map((result) => result.id)).size).toBe(MESSAGES);

        // The outage outlasts the direct retries many times over: messages are tried again and again
        // (with a backoff of 200 ms to 1 s), and kept.
        await until(
          async () =>
            (await listAll(outbox, 'default')).some(
              (entry) => entry.attempts >= ATTEMPTS_WHILE_DOWN,
            ),
          'messages tried again while the server is down',
          PHASE_MS,
        );
        const during = await outbox.summary('default');
        expect(during.counts).toMatchObject({ sent: 0, failed: 0, uncertain: 0, held: 0 });
        expect(during.counts.queued + during.counts.sending).toBe(MESSAGES);
        expect(during.oldestWaitingAgeMs).toBeGreaterThan(0);
        // The bodies wait in the queue's store (never in the send log)...
        expect(await recordsHolding(place, BODY)).toBe(MESSAGES);

        peer = await startSmtpPeer({ port });
        await peer.waitForMessages(MESSAGES, PHASE_MS);
        await until(
          async () => (await outbox.summary('default')).counts.sent === MESSAGES,
          'every message logged as sent',
          FIXED_MS,
        );
        // Once no job is left to run, no late duplicate can come.
        await until(async () => (await jobs!.unfinished()) === 0, 'no job left to run', FIXED_MS);

        expect(peer.messages).toHaveLength(MESSAGES);
        const counts = messageIdCounts(peer.messages);
        expect(counts.size).toBe(MESSAGES);
        expect(Math.max(...counts.values())).toBe(1);
        const subjects = new Set(peer.messages.map((message) => message.headers.subject));
        expect(subjects.size).toBe(MESSAGES);

        // Each message went out with the Message-ID the log gave it at enqueue.
        const entries = await listAll(outbox, 'default');
        expect(entries).toHaveLength(MESSAGES);
        expect(new Set(entries.map((entry) => bareMessageId(entry.messageId)))).toEqual(
          new Set(counts.keys()),
        );
        expect(entries.every((entry) => entry.status === 'sent' && entry.route === 'relay')).toBe(
          true,
        );
        expect(Math.max(...entries.map((entry) => entry.attempts))).toBeGreaterThan(
          ATTEMPTS_WHILE_DOWN,
        );
        expect((await outbox.summary('default')).oldestWaitingAt).toBeNull();
        // ...and leave it once their message is sent.
        expect(await recordsHolding(place, BODY)).toBe(0);
      },
      TEST_TIMEOUT_MS,
    );
  },
);
