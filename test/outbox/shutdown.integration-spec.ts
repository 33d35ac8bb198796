import { MailerService, OutboxService } from '../../lib';
import { startHostileSmtp, type HostileSmtp } from '../fixtures/hostile-smtp';
import { outboxJobs } from '../fixtures/outbox-jobs';
import { OUTBOX_BACKENDS, outboxPlace, type OutboxPlace } from '../fixtures/outbox-kit';
import { basicSettingsFor, saveSettings } from '../fixtures/peer-settings';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';

/** Shorter than any attempt here could take: a close that waited for one would time the test out. */
const SHUTDOWN_TIMEOUT_MS = 1000;
/** Far longer than the test's own timeout: only the shutdown can end these attempts. */
const ATTEMPT_TIMEOUT_MS = 600_000;
/** Two apps started, a message enqueued and taken, the app closed, the log read: seconds when busy. */
const TEST_MS = 30_000;

describe.each(OUTBOX_BACKENDS)(
  'The outbox on %s: app.close() returns within outbox.shutdownTimeoutMs whatever the server does',
  (backend) => {
    const servers: HostileSmtp[] = [];
    const apps: SettingsApp[] = [];
    const places: OutboxPlace[] = [];

    afterEach(async () => {
      await Promise.all(apps.splice(0).map((a) => a.app.close()));
      await Promise.all(servers.splice(0).map((s) => s.close()));
      await Promise.all(places.splice(0).map((p) => p.drop()));
    });

    /**
     * Enqueues one message to a server that misbehaves, closes the app once the server stopped
     * cooperating, and reads what the log and the queue kept with a second app that only reads.
     */
    async function closeDuring(behaviour: 'stall' | 'dataStall') {
      const server = await startHostileSmtp(behaviour);
      servers.push(server);
      const place = outboxPlace(backend, `shutdown_${behaviour.toLowerCase()}`);
      places.push(place);
      const options = {
        retry: { attempts: 1 },
        attemptTimeoutMs: ATTEMPT_TIMEOUT_MS,
        outbox: place.options({ shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS }),
      };
      const sender = await createSettingsApp(options);
      await saveSettings(sender.app, basicSettingsFor(server, 'hostile-password'));
      const { id } = await sender.app
        .get(MailerService)
        .enqueue({ to: 'a@example.com', text: 'x' });
      await server.stalled();
      // Not timed here: past the test's timeout only if close waited for the attempt.
      await sender.app.close();
      await server.allClosed();
      const reader = await createSettingsApp({
        ...options,
        outbox: { ...options.outbox, worker: false },
      });
      apps.push(reader);
      const jobs = outboxJobs(place);
      try {
        return {
          entry: await reader.app.get(OutboxService).get(id),
          waiting: await jobs.unfinished(),
        };
      } finally {
        await jobs.close();
      }
    }

    it(
      'an attempt interrupted before the end of its message goes back to the queue, not sent',
      async () => {
        const { entry, waiting } = await closeDuring('stall');
        expect(entry).toMatchObject({
          status: 'queued',
          attempts: 1,
          lastError: { code: 'ESHUTDOWN', message: expect.stringContaining('shutting down') },
        });
        expect(waiting).toBe(1);
      },
      TEST_MS,
    );

    it(
      'an attempt interrupted after the final dot is uncertain, and never sent again',
      async () => {
        const { entry, waiting } = await closeDuring('dataStall');
        expect(entry).toMatchObject({ status: 'uncertain', attempts: 1 });
        expect(entry!.lastError!.message).toContain('shutting down');
        expect(waiting).toBe(0);
      },
      TEST_MS,
    );
  },
);
