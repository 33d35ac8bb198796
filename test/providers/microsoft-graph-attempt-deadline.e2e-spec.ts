import { createTransport } from 'nodemailer';
import request from 'supertest';
import {
  DeliveryFailedError,
  DeliveryUncertainError,
  MailerService,
  type MailEvent,
  type SmtpSettingsModuleOptions,
} from '../../lib';
import { GraphClient } from '../../lib/providers/microsoft-graph/graph-client';
import { classifyFailure } from '../../lib/outbox/worker/delivery-outcome';
import { GraphMailTransport } from '../../lib/providers/microsoft-graph/graph-mail-transport';
import { RequestGate } from '../../lib/providers/microsoft-graph/request-gate';
import { ADMIN_TOKEN } from '../fixtures/admin.guard';
import { FakeEntraId, type FakeApp } from '../fixtures/fake-entra-id';
import {
  startHostileGraph,
  type HostileGraph,
  type HostileGraphBehaviour,
} from '../fixtures/hostile-graph';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';

/** Small, so that each proof takes a fraction of a second; the client's own timers are far longer. */
const ATTEMPT_TIMEOUT_MS = 300;
/** Longer than any test here: only the interruption can end these attempts. */
const NEVER_MS = 600_000;
const RETRY = { attempts: 2, baseDelayMs: 5, maxDelayMs: 20 };
/** The fakes and the app started, the settings saved, everything closed, on a loaded machine. */
const FIXED_MS = 20_000;
/** Every attempt runs into its deadline, with a retry delay after each. */
const TEST_TIMEOUT_MS = FIXED_MS + RETRY.attempts * (ATTEMPT_TIMEOUT_MS + RETRY.maxDelayMs);

const AUTH = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const MAILBOX = 'notifications@contoso.onmicrosoft.com';
const SECRET = 'graph-deadline-secret~1';

describe('Every Microsoft Graph attempt has a deadline (attemptTimeoutMs) and stops at shutdown', () => {
  let entra: FakeEntraId;
  let entraApp: FakeApp;
  const graphs: HostileGraph[] = [];
  const apps: SettingsApp[] = [];

  beforeEach(async () => {
    entra = await FakeEntraId.start();
    entraApp = entra.register({
      tenantId: '9a8b7c6d-aaaa-4bbb-8ccc-ddddeeeeffff',
      clientId: '0b1e2f3a-1111-4222-8333-444455556666',
      clientSecret: SECRET,
    });
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.app.close()));
    await Promise.all(graphs.splice(0).map((g) => g.close()));
    await entra.close();
  });

  async function hostile(behaviour: HostileGraphBehaviour): Promise<HostileGraph> {
    const graph = await startHostileGraph(behaviour, entra);
    graphs.push(graph);
    return graph;
  }

  /** An app whose default tenant sends through `graph` with Microsoft Graph settings. */
  async function mailerFor(graph: HostileGraph, options: Partial<SmtpSettingsModuleOptions> = {}) {
    const ctx = await createSettingsApp({
      tls: { ca: entra.ca },
      retry: RETRY,
      attemptTimeoutMs: ATTEMPT_TIMEOUT_MS,
      microsoft: { authorityHost: entra.authorityHost, graphHost: graph.host },
      ...options,
    });
    ctx.installed.add('smtp-oauth');
    apps.push(ctx);
    await request(ctx.app.getHttpServer())
      .put('/smtp-settings')
      .set(AUTH)
      .send({
        type: 'bearer',
        provider: 'microsoft-graph',
        username: MAILBOX,
        senderEmail: MAILBOX,
        clientId: entraApp.clientId,
        clientSecret: entraApp.clientSecret,
        tenantId: entraApp.tenantId,
      })
      .expect(200);
    const mailer = ctx.app.get(MailerService);
    const events: MailEvent[] = [];
    mailer.events$.subscribe((event) => events.push(event));
    return { mailer, events };
  }

  /** The rejection of `send`, for assertions on its class and on what the outbox makes of it. */
  function failureOf(send: Promise<unknown>): Promise<Error> {
    return send.then(
      () => {
        throw new Error('the message was sent');
      },
      (thrown: Error) => thrown,
    );
  }

  /** Neither the client secret nor any access token Entra issued is in `text`. */
  function expectNoSecretIn(text: string): void {
    expect(text).not.toContain(SECRET);
    for (const token of entra.issued.keys()) expect(text).not.toContain(token);
  }

  it(
    'a Graph that reads the whole sendMail and never answers: DELIVERY_UNCERTAIN at the deadline, naming the host and attemptTimeoutMs, never sent again',
    async () => {
      const graph = await hostile('unanswered');
      const { mailer, events } = await mailerFor(graph);

      const error = await failureOf(mailer.send({ to: 'a@example.com', text: 'x' }));

      expect(error).toBeInstanceOf(DeliveryUncertainError);
      expect(error).toMatchObject({
        code: 'DELIVERY_UNCERTAIN',
        message: expect.stringMatching(
          new RegExp(`attemptTimeoutMs=${ATTEMPT_TIMEOUT_MS}.*may have accepted it`),
        ),
      });
      expect(error.message).toContain(new URL(graph.host).host);
      expectNoSecretIn(error.message);
      expect(classifyFailure(error).kind).toBe('uncertain');
      expect(events).toEqual([
        expect.objectContaining({ type: 'failed', code: 'DELIVERY_UNCERTAIN', attempts: 1 }),
      ]);
      expect(graph.requests).toBe(1);
      await graph.allClosed();
      expect(graph.openSockets).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a Graph whose TLS handshake never ends: ETIMEDOUT at the deadline, not sent, tried again on a new connection',
    async () => {
      const graph = await hostile('tlsStall');
      const { mailer, events } = await mailerFor(graph);

      const error = await failureOf(mailer.send({ to: 'a@example.com', text: 'x' }));

      expect(error).toBeInstanceOf(DeliveryFailedError);
      expect(error).not.toBeInstanceOf(DeliveryUncertainError);
      expect(error).toMatchObject({
        code: 'ETIMEDOUT',
        stage: 'connect',
        message: expect.stringContaining(`attemptTimeoutMs=${ATTEMPT_TIMEOUT_MS}`),
      });
      expect(error.message).toContain(new URL(graph.host).host);
      expect(error.message).toContain('not sent');
      expectNoSecretIn(error.message);
      expect(classifyFailure(error).kind).toBe('transient');
      expect(events).toEqual([
        expect.objectContaining({ type: 'failed', code: 'ETIMEDOUT', attempts: RETRY.attempts }),
      ]);
      expect(graph.connections).toBe(RETRY.attempts);
      await graph.allClosed();
      expect(graph.openSockets).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );

  describe('the caller’s signal (the outbox interrupting its attempts at shutdown) stops the request', () => {
    it.each<[HostileGraphBehaviour, string]>([
      ['unanswered', 'after the whole request was written'],
      ['tlsStall', 'before a byte of the request was written'],
    ])(
      '%s: interrupted %s, the attempt fails at once and its connection is closed',
      async (behaviour) => {
        const graph = await hostile(behaviour);
        const { mailer } = await mailerFor(graph, { attemptTimeoutMs: NEVER_MS });
        const interruption = new AbortController();

        const failure = failureOf(
          mailer.send({ to: 'a@example.com', text: 'x', signal: interruption.signal }),
        );
        await graph.stalled();
        interruption.abort();
        const error = await failure;

        expect(error.message).toContain('shutting down');
        expectNoSecretIn(error.message);
        if (behaviour === 'unanswered') {
          expect(error).toBeInstanceOf(DeliveryUncertainError);
          expect(graph.requests).toBe(1);
        } else {
          // Nothing reached Graph: not sent, to be tried again by the next worker.
          expect(error).toBeInstanceOf(DeliveryFailedError);
          expect(error).toMatchObject({ code: 'ESHUTDOWN' });
          expect(graph.requests).toBe(0);
        }
        await graph.allClosed();
        expect(graph.openSockets).toBe(0);
      },
      TEST_TIMEOUT_MS,
    );
  });

  describe('the Graph transport tells a stop before the request was written from one after it', () => {
    /** A channel's transport to `graph`, with a token Graph never checks, under `gate`. */
    function transportTo(graph: HostileGraph, gate: RequestGate, attemptTimeoutMs: number) {
      const transport = new GraphMailTransport({
        client: new GraphClient({ host: graph.host, ca: [entra.ca], timeoutMs: NEVER_MS }),
        mailbox: MAILBOX,
        tokens: () => Promise.resolve({ accessToken: 'unchecked', expiresOn: Date.now() + 60_000 }),
        gate,
        attemptTimeoutMs,
      });
      return createTransport(transport);
    }

    it.each<[HostileGraphBehaviour, string, abstract new (...args: never[]) => Error]>([
      ['tlsStall', 'not sent (ESHUTDOWN)', DeliveryFailedError],
      ['unanswered', 'uncertain', DeliveryUncertainError],
    ])(
      '%s: interrupted, the transport says %s and closes its connection',
      async (behaviour, _outcome, expected) => {
        const graph = await hostile(behaviour);
        const transporter = transportTo(graph, new RequestGate(1), NEVER_MS);
        const interruption = new AbortController();
        try {
          const failure = failureOf(
            transporter.sendMail({
              from: MAILBOX,
              to: 'a@example.com',
              text: 'x',
              signal: interruption.signal,
            }),
          );
          await graph.stalled();
          interruption.abort();
          const error = await failure;

          expect(error).toBeInstanceOf(expected);
          expect(error.message).toContain('shutting down');
          if (expected === DeliveryFailedError) {
            expect(error).toMatchObject({ code: 'ESHUTDOWN', stage: 'connect' });
            expect(classifyFailure(error).kind).toBe('transient');
          }
          await graph.allClosed();
          expect(graph.openSockets).toBe(0);
        } finally {
          transporter.close();
        }
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'a message waiting for the mailbox’s gate past its deadline leaves the queue, not sent',
      async () => {
        const graph = await hostile('unanswered');
        const gate = new RequestGate(1);
        // Holds the gate's only slot until it is interrupted.
        const holder = transportTo(graph, gate, NEVER_MS);
        const waiter = transportTo(graph, gate, ATTEMPT_TIMEOUT_MS);
        const interruption = new AbortController();
        try {
          const held = failureOf(
            holder.sendMail({
              from: MAILBOX,
              to: 'a@example.com',
              text: 'held',
              signal: interruption.signal,
            }),
          );
          await graph.stalled();

          const error = await failureOf(
            waiter.sendMail({ from: MAILBOX, to: 'b@example.com', text: 'waits' }),
          );
          interruption.abort();
          await held;

          expect(error).toBeInstanceOf(DeliveryFailedError);
          expect(error).not.toBeInstanceOf(DeliveryUncertainError);
          expect(error).toMatchObject({
            code: 'ETIMEDOUT',
            stage: 'connect',
            message: expect.stringContaining(`attemptTimeoutMs=${ATTEMPT_TIMEOUT_MS}`),
          });
          expect(gate.busy).toBe(0);
          await graph.allClosed();
          // The slot the interruption freed went to nobody: the waiter had left.
          expect(graph.connections).toBe(1);
          expect(graph.requests).toBe(1);
        } finally {
          holder.close();
          waiter.close();
        }
      },
      TEST_TIMEOUT_MS,
    );
  });
});
