import { MailerService, OutboxService } from '../../lib';
import { startHostileSmtp, type HostileSmtp } from '../fixtures/hostile-smtp';
import { OUTBOX_BACKENDS, outboxPlace, until, type OutboxPlace } from '../fixtures/outbox-kit';
import { basicSettingsFor, saveSettings } from '../fixtures/peer-settings';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';

/** Small, so that each proof takes about a second; nodemailer's own timers are far longer. */
const ATTEMPT_TIMEOUT_MS = 300;
/** One message through the queue to a loopback server and its deadline: seconds when busy. */
const MESSAGE_MS = 10_000 + ATTEMPT_TIMEOUT_MS;

describe.each(OUTBOX_BACKENDS)(
  'The outbox on %s: outbox.attemptTimeoutMs frees the worker from a server that never finishes',
  (backend) => {
    const servers: HostileSmtp[] = [];
    const apps: SettingsApp[] = [];
    const places: OutboxPlace[] = [];

    afterEach(async () => {
      await Promise.all(apps.splice(0).map((a) => a.app.close()));
      await Promise.all(servers.splice(0).map((s) => s.close()));
      await Promise.all(places.splice(0).map((p) => p.drop()));
    });

    /** An app whose outbox, on a queue of its own, delivers to a server that misbehaves. */
    async function outboxTo(behaviour: 'stall' | 'dataStall') {
      const server = await startHostileSmtp(behaviour);
      servers.push(server);
      // A job still retrying from another test must not reach this test's server.
      const place = outboxPlace(backend, `deadline_${behaviour.toLowerCase()}`);
      places.push(place);
      const ctx = await createSettingsApp({
        // The outbox retries, not the transport: one attempt per job.
        retry: { attempts: 1 },
        outbox: place.options({ attemptTimeoutMs: ATTEMPT_TIMEOUT_MS }),
      });
      apps.push(ctx);
      await saveSettings(ctx.app, basicSettingsFor(server, 'hostile-password'));
      return { server, mailer: ctx.app.get(MailerService), outbox: ctx.app.get(OutboxService) };
    }

    it(
      'a server that trickles 250- lines forever: each attempt fails at the deadline and the message is tried again',
      async () => {
        const { server, mailer, outbox } = await outboxTo('stall');
        const { id } = await mailer.enqueue({ to: 'a@example.com', text: 'x' });

        // An attempt is counted as it begins, before it connects: both are waited for.
        await until(
          async () => ((await outbox.get(id))?.attempts ?? 0) >= 2 && server.connections >= 2,
          'a second attempt',
          2 * MESSAGE_MS,
        );
        const entry = (await outbox.get(id))!;
        expect(entry.status).not.toMatch(/^(sent|failed|uncertain)$/);
        expect(entry.lastError).toMatchObject({
          code: 'ETIMEDOUT',
          message: expect.stringContaining(`attemptTimeoutMs=${ATTEMPT_TIMEOUT_MS}`),
        });
        expect(server.connections).toBeGreaterThanOrEqual(2);
      },
      3 * MESSAGE_MS,
    );

    it(
      'a server that takes the whole message and never answers: the message is uncertain, and never sent again',
      async () => {
        const { server, mailer, outbox } = await outboxTo('dataStall');
        const { id } = await mailer.enqueue({ to: 'a@example.com', text: 'x' });

        await until(
          async () => (await outbox.get(id))?.status === 'uncertain',
          'uncertain',
          MESSAGE_MS,
        );
        const entry = (await outbox.get(id))!;
        expect(entry.lastError).toMatchObject({
          code: 'DELIVERY_UNCERTAIN',
          message: expect.stringContaining(`attemptTimeoutMs=${ATTEMPT_TIMEOUT_MS}`),
        });
        // On a loaded machine an attempt may reach its deadline before the end of the message
        // (not sent: tried again); once one wrote it whole, none follows.
        expect(server.messages).toBe(1);
        await server.allClosed();
        expect(server.connections).toBe(entry.attempts);
      },
      2 * MESSAGE_MS,
    );
  },
);
