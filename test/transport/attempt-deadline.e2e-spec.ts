import {
  DeliveryFailedError,
  DeliveryUncertainError,
  MailerService,
  type MailEvent,
  type SmtpSettingsModuleOptions,
} from '../../lib';
import { classifyFailure } from '../../lib/outbox/worker/delivery-outcome';
import {
  startHostileSmtp,
  type HostileBehaviour,
  type HostileSmtp,
} from '../fixtures/hostile-smtp';
import { basicSettingsFor, saveSettings } from '../fixtures/peer-settings';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';

/** Small, so that each proof takes a fraction of a second; nodemailer's own timers are far longer. */
const ATTEMPT_TIMEOUT_MS = 300;
/**
 * A server that never answers the final dot: the deadline must not pass before the message is
 * written (it would be a failure, not uncertain), so it leaves a loaded machine room for that.
 */
const DATA_STALL_TIMEOUT_MS = 3000;
const RETRY = { attempts: 2, baseDelayMs: 5, maxDelayMs: 20 };
/** The app started, the settings saved, the app and the server closed, on a loaded machine. */
const FIXED_MS = 20_000;
/** Every attempt runs into its deadline, with a retry delay after each. */
const TEST_TIMEOUT_MS = FIXED_MS + RETRY.attempts * (ATTEMPT_TIMEOUT_MS + RETRY.maxDelayMs);

describe('Every attempt has a deadline (attemptTimeoutMs), whatever the server keeps sending', () => {
  const servers: Array<HostileSmtp | SmtpPeer> = [];
  const apps: SettingsApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.app.close()));
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  async function hostile(behaviour: HostileBehaviour): Promise<HostileSmtp> {
    const server = await startHostileSmtp(behaviour);
    servers.push(server);
    return server;
  }

  async function mailerFor(
    server: HostileSmtp | SmtpPeer,
    options: Partial<SmtpSettingsModuleOptions> = {},
  ) {
    const ctx = await createSettingsApp({
      retry: RETRY,
      attemptTimeoutMs: ATTEMPT_TIMEOUT_MS,
      ...options,
    });
    apps.push(ctx);
    await saveSettings(ctx.app, basicSettingsFor(server, 'hostile-password'));
    const mailer = ctx.app.get(MailerService);
    const events: MailEvent[] = [];
    mailer.events$.subscribe((event) => events.push(event));
    return { mailer, events };
  }

  /** The rejection of `send`, for assertions on its class and on what the outbox makes of it. */
  async function failureOf(send: Promise<unknown>): Promise<Error> {
    const error = await send.then(
      () => {
        throw new Error('the message was sent');
      },
      (thrown: Error) => thrown,
    );
    return error;
  }

  describe('before the end of DATA the attempt is transient: the connection is closed and the message tried again', () => {
    it.each<[HostileBehaviour, string]>([
      ['stall', 'answers EHLO with 250- lines every 50 ms, forever'],
      ['bannerStall', 'sends a 220- greeting that never ends'],
      ['mute', 'accepts the connection and never greets'],
    ])(
      '%s: a server that %s fails each attempt at the deadline, naming it, on a new connection each time',
      async (behaviour) => {
        const server = await hostile(behaviour);
        const { mailer, events } = await mailerFor(server);

        const error = await failureOf(mailer.send({ to: 'a@example.com', text: 'x' }));

        expect(error).toBeInstanceOf(DeliveryFailedError);
        expect(error).not.toBeInstanceOf(DeliveryUncertainError);
        expect(error).toMatchObject({
          code: 'ETIMEDOUT',
          message: expect.stringContaining(`attemptTimeoutMs=${ATTEMPT_TIMEOUT_MS}`),
        });
        expect(error.message).not.toContain('hostile-password');
        // The outbox tries it again later.
        expect(classifyFailure(error).kind).toBe('transient');
        // Each attempt had its own connection: the pool replaced the one the deadline closed.
        expect(events).toEqual([
          expect.objectContaining({ type: 'failed', code: 'ETIMEDOUT', attempts: RETRY.attempts }),
        ]);
        expect(server.connections).toBe(RETRY.attempts);
        await server.allClosed();
        expect(server.openSockets).toBe(0);
      },
      TEST_TIMEOUT_MS,
    );
  });

  describe('after the final dot the attempt is uncertain, and never sent again', () => {
    it(
      'a server that takes the whole message and never answers fails with DELIVERY_UNCERTAIN at the deadline',
      async () => {
        const server = await hostile('dataStall');
        const { mailer, events } = await mailerFor(server, {
          attemptTimeoutMs: DATA_STALL_TIMEOUT_MS,
        });

        const error = await failureOf(mailer.send({ to: 'a@example.com', text: 'x' }));

        expect(error).toBeInstanceOf(DeliveryUncertainError);
        expect(error).toMatchObject({
          code: 'DELIVERY_UNCERTAIN',
          message: expect.stringMatching(
            new RegExp(`attemptTimeoutMs=${DATA_STALL_TIMEOUT_MS}.*may have accepted it`),
          ),
        });
        expect(classifyFailure(error).kind).toBe('uncertain');
        expect(events).toEqual([
          expect.objectContaining({ type: 'failed', code: 'DELIVERY_UNCERTAIN', attempts: 1 }),
        ]);
        expect(server.messages).toBe(1);
        expect(server.connections).toBe(1);
        await server.allClosed();
        expect(server.openSockets).toBe(0);
      },
      TEST_TIMEOUT_MS + DATA_STALL_TIMEOUT_MS,
    );
  });

  it(
    'a server that answers in time keeps its connection: the deadline ends with the attempt',
    async () => {
      const peer = await startSmtpPeer({ users: { mailer: 'hostile-password' } });
      servers.push(peer);
      // Far above a loopback exchange, even on a loaded machine; far below nodemailer's timers.
      const { mailer } = await mailerFor(peer, { attemptTimeoutMs: 10_000 });

      await mailer.send({ to: 'a@example.com', subject: 'first', text: 'x' });
      await mailer.send({ to: 'b@example.com', subject: 'second', text: 'y' });

      expect(peer.messages.map((m) => m.headers.subject)).toEqual(['first', 'second']);
      expect(peer.connections).toBe(1);
    },
    TEST_TIMEOUT_MS,
  );
});
