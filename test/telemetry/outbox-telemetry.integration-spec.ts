import { MailerService, OutboxService, SmtpSettingsService } from '../../lib';
import {
  bareMessageId,
  OUTBOX_BACKENDS,
  outboxPlace,
  until,
  type OutboxPlace,
} from '../fixtures/outbox-kit';
import { OtelKit, telemetryText } from '../fixtures/otel-kit';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';

/** One message through the queue to a loopback server: milliseconds when quiet, seconds when busy. */
const MESSAGE_MS = 10_000;
const RECIPIENT_DOMAIN = 'recipients.example.org';
const SUBJECT = 'Quarterly statement 7f3a';
const BODY = 'The body that no span may hold 91c2';

const kit = OtelKit.register();
afterAll(() => kit.close());

function basic(peer: SmtpPeer, password: string) {
  return {
    type: 'basic',
    hostname: peer.host,
    port: peer.port,
    useTls: false,
    username: 'mailer',
    password,
    senderEmail: 'noreply@acme.example.com',
  };
}

describe.each(OUTBOX_BACKENDS)('Outbox telemetry on %s', (backend) => {
  let place: OutboxPlace;
  let relay: SmtpPeer;
  let rejecting: SmtpPeer;
  let strict: SmtpPeer;
  let worker: SettingsApp | undefined;
  let enqueuer: SettingsApp | undefined;

  beforeAll(async () => {
    place = outboxPlace(backend, 'otel');
    relay = await startSmtpPeer();
    rejecting = await startSmtpPeer({ rejectRecipients: () => 550 });
    strict = await startSmtpPeer({ users: { mailer: 'the-right-Passw0rd' } });
    // The backlog check (and with it the gauges) looks every 100 ms.
    const outbox = (extra = {}) => place.options({ alerts: { oldestWaitingMs: 200 }, ...extra });
    const relayOption = {
      transport: `smtp://${relay.host}:${relay.port}`,
      from: 'r@vendor.example.com',
    };
    worker = await createSettingsApp({
      relay: relayOption,
      retry: { attempts: 1 },
      outbox: outbox(),
    });
    // Another instance on the same queue and settings store, running no worker: it only enqueues.
    enqueuer = await createSettingsApp({
      store: worker.store,
      relay: relayOption,
      retry: { attempts: 1 },
      outbox: outbox({ worker: false }),
    });
  });

  afterAll(async () => {
    await enqueuer?.app.close();
    await worker?.app.close();
    await Promise.all([relay, rejecting, strict].map((peer) => peer?.close()));
    await place.drop();
  });

  const message = (n: number) => ({
    to: [`a${n}@${RECIPIENT_DOMAIN}`, `b${n}@${RECIPIENT_DOMAIN}`],
    subject: SUBJECT,
    text: BODY,
  });
  const reaches = (id: string, status: string) =>
    until(
      async () => (await worker!.app.get(OutboxService).get(id))?.status === status,
      status,
      MESSAGE_MS,
    );
  const attemptsOf = (messageId: string) =>
    kit
      .spans('smtp.attempt')
      .filter((span) => span.attributes['smtp_settings.message_id'] === messageId);
  const enqueueOf = (messageId: string) =>
    kit
      .spans('smtp.enqueue')
      .find((span) => span.attributes['smtp_settings.message_id'] === messageId);

  it('links the attempt on the worker instance to the span that enqueued the message on the other', async () => {
    const { id } = await enqueuer!.app.get(MailerService).enqueue(message(1));
    await reaches(id, 'sent');
    const { messageId } = (await worker!.app.get(OutboxService).get(id))!;
    await until(() => attemptsOf(messageId).length === 1, 'the attempt span', MESSAGE_MS);

    const enqueued = enqueueOf(messageId)!;
    expect(enqueued.attributes).toMatchObject({
      'smtp_settings.tenant': 'default',
      'smtp_settings.recipients.count': 2,
    });
    const [attempt] = attemptsOf(messageId);
    expect(attempt!.attributes).toMatchObject({
      'smtp_settings.tenant': 'default',
      'smtp_settings.channel': 'relay',
      'smtp_settings.outcome': 'sent',
      'smtp_settings.recipients.count': 2,
      'server.address': relay.host,
      'server.port': relay.port,
    });
    // A link, not a parent: the attempt starts a trace of its own.
    expect(attempt!.parentSpanContext).toBeUndefined();
    expect(attempt!.links.map((link) => link.context)).toEqual([
      expect.objectContaining({
        traceId: enqueued.spanContext().traceId,
        spanId: enqueued.spanContext().spanId,
      }),
    ]);
    expect(
      relay.messages.some((m) => bareMessageId(m.headers.messageId) === bareMessageId(messageId)),
    ).toBe(true);
    expect(
      await kit.total('smtp_settings.delivery.latency', { 'smtp_settings.channel': 'relay' }),
    ).toBeGreaterThanOrEqual(1);
  });

  it('ends an attempt the server refused with its reply code, and counts the message failed', async () => {
    const settings = worker!.app.get(SmtpSettingsService);
    await settings.update(basic(rejecting, 'any-Passw0rd-1'));
    const failedBefore = await kit.total('smtp_settings.messages', {
      'smtp_settings.outcome': 'failed',
    });
    const { id } = await worker!.app.get(MailerService).enqueue(message(2));
    await reaches(id, 'failed');
    const { messageId } = (await worker!.app.get(OutboxService).get(id))!;
    await until(() => attemptsOf(messageId).length === 1, 'the attempt span', MESSAGE_MS);
    const [attempt] = attemptsOf(messageId);
    expect(attempt!.status.code).toBe(2); // SpanStatusCode.ERROR
    expect(attempt!.status.message).toBeUndefined();
    expect(attempt!.attributes).toMatchObject({
      'smtp_settings.channel': 'main',
      'smtp_settings.provider': 'basic',
      'smtp_settings.outcome': 'failed',
      'smtp_settings.reply_code': 550,
      'error.type': expect.any(String),
    });
    expect(await kit.total('smtp_settings.messages', { 'smtp_settings.outcome': 'failed' })).toBe(
      failedBefore + 1,
    );
  });

  it('counts a message held for a wrong password, and the gauges see it waiting', async () => {
    const settings = worker!.app.get(SmtpSettingsService);
    await settings.update(basic(strict, 'the-wrong-Passw0rd'));
    const heldBefore = await kit.total('smtp_settings.messages', {
      'smtp_settings.outcome': 'held',
    });
    const { id } = await worker!.app.get(MailerService).enqueue(message(3));
    await reaches(id, 'held');
    const { messageId } = (await worker!.app.get(OutboxService).get(id))!;
    await until(() => attemptsOf(messageId).length >= 1, 'the attempt span', MESSAGE_MS);
    expect(attemptsOf(messageId)[0]!.attributes).toMatchObject({
      'smtp_settings.outcome': 'held',
      'smtp_settings.stage': 'auth',
      'error.type': 'EAUTH',
    });
    expect(
      await kit.total('smtp_settings.messages', { 'smtp_settings.outcome': 'held' }),
    ).toBeGreaterThan(heldBefore);

    const waiting = async () =>
      (await kit.points('smtp_settings.outbox.waiting')).find(
        (p) => p.attributes['smtp_settings.backend'] === backend,
      );
    await until(async () => ((await waiting())?.value ?? 0) >= 1, 'the waiting gauge', MESSAGE_MS);
    // Without telemetry.tenantAttribute no metric names a tenant.
    expect((await waiting())!.attributes).toEqual({ 'smtp_settings.backend': backend });
    const oldest = (await kit.points('smtp_settings.outbox.oldest_waiting_age')).find(
      (p) => p.attributes['smtp_settings.backend'] === backend,
    );
    expect(oldest!.value).toBeGreaterThanOrEqual(0);
  });

  it('counts the settings changes, and holds no address, subject or body in any span or metric', async () => {
    expect(
      await kit.total('smtp_settings.settings.changes', { 'smtp_settings.kind': 'main' }),
    ).toBeGreaterThanOrEqual(2);
    const text = await telemetryText(kit);
    expect(text).not.toContain(RECIPIENT_DOMAIN);
    expect(text).not.toContain(SUBJECT);
    expect(text).not.toContain(BODY);
    expect(text).not.toContain('Passw0rd');
    const metrics = (await kit.metrics()).flatMap((m) => m.dataPoints.map((p) => p.attributes));
    expect(metrics.some((attributes) => 'smtp_settings.tenant' in attributes)).toBe(false);
  });
});
