import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { Readable } from 'node:stream';
import {
  MailerService,
  OutboxService,
  RecipientLimitExceededError,
  SmtpSettingsService,
  type OutboxAlert,
} from '../../lib';
import { HeaderInjectionError } from '../../lib/errors/header-injection.error';
import { NotRetryableError } from '../../lib/errors/not-retryable.error';
import { SenderRequiredError } from '../../lib/errors/sender-required.error';
import { statusOf } from '../../lib/http/smtp-settings-exception.filter';
import { outboxJobs, type OutboxJobs } from '../fixtures/outbox-jobs';
import {
  bareMessageId,
  listAll,
  OUTBOX_BACKENDS,
  outboxPlace,
  until,
} from '../fixtures/outbox-kit';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';

const RELAY_FROM = 'relay@vendor.example.com';
/** One message through the queue to a loopback server: milliseconds when quiet, seconds when busy. */
const MESSAGE_MS = 10_000;

/** A port nothing listens on now, for a server that starts later. */
async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

function basic(
  peer: { host: string; port: number },
  password = 'p',
  sender = 'noreply@acme.example.com',
) {
  return {
    type: 'basic',
    hostname: peer.host,
    port: peer.port,
    useTls: false,
    username: 'mailer',
    password,
    senderEmail: sender,
  };
}

describe.each(OUTBOX_BACKENDS)('The outbox on %s', (backend) => {
  const place = outboxPlace(backend, 'core');
  let relay: SmtpPeer;
  let rejecting: SmtpPeer;
  let rejectAll = true;
  let ctx: SettingsApp | undefined;
  let apiOnly: SettingsApp | undefined;
  let mailer: MailerService;
  let outbox: OutboxService;
  let settings: SmtpSettingsService;
  let jobs: OutboxJobs | undefined;
  const alerts: OutboxAlert[] = [];

  beforeAll(async () => {
    relay = await startSmtpPeer();
    rejecting = await startSmtpPeer({
      rejectRecipients: () => (rejectAll ? 550 : undefined),
    });
    ctx = await createSettingsApp({
      relay: {
        transport: `smtp://${relay.host}:${relay.port}`,
        from: RELAY_FROM,
        maxRecipients: 3,
      },
      retry: { attempts: 1 },
      outbox: place.options({ concurrency: 4 }),
      onAlert: (alert) => alerts.push(alert),
    });
    // An API-only replica on the same queue and the same settings store: it runs no worker.
    apiOnly = await createSettingsApp({
      store: ctx.store,
      relay: { transport: `smtp://${relay.host}:${relay.port}` },
      retry: { attempts: 1 },
      outbox: place.options({ worker: false }),
    });
    mailer = ctx.app.get(MailerService);
    outbox = ctx.app.get(OutboxService);
    settings = ctx.app.get(SmtpSettingsService);
    jobs = outboxJobs(place);
  });

  afterAll(async () => {
    await jobs?.close();
    await apiOnly?.app.close();
    await ctx?.app.close();
    await relay?.close();
    await rejecting?.close();
    await place.drop();
  });

  const received = (messageId: string, peer = relay) =>
    peer.messages.filter((m) => bareMessageId(m.headers.messageId) === bareMessageId(messageId));

  /** Resolves once the message's entry has `status`. */
  const reaches = (id: string, status: string, tenant?: string) =>
    until(async () => (await outbox.get(id, tenant))?.status === status, status, MESSAGE_MS);

  /** Resolves once the message's job has completed and left the queue: it sends nothing more. */
  const completed = (id: string) =>
    until(async () => (await jobs!.state(id)) === 'unknown', 'the job completed', MESSAGE_MS);

  it('resolves { id, status: "queued" } and delivers the message once, with the Message-ID set at enqueue', async () => {
    const result = await mailer.enqueue({ to: 'a@example.com', subject: 'Payslip', text: 'x' });
    expect(result).toEqual({ id: expect.any(String), status: 'queued' });
    const queued = await outbox.get(result.id);
    expect(queued).toMatchObject({ status: expect.stringMatching(/queued|sending|sent/) });
    expect(queued!.messageId).toMatch(/^<[0-9a-f-]{36}@vendor\.example\.com>$/);
    await reaches(result.id, 'sent');
    await completed(result.id);
    const entry = (await outbox.get(result.id))!;
    expect(entry).toMatchObject({
      tenant: 'default',
      recipients: ['a@example.com'],
      recipientCount: 1,
      subject: 'Payslip',
      attempts: 1,
      route: 'relay',
      response: expect.stringMatching(/^250/),
    });
    expect(received(entry.messageId)).toHaveLength(1);
    expect(entry.messageId).toBe(queued!.messageId);
  });

  it('refuses at once, queueing nothing: header injection, the relay’s reject policy, a stream attachment', async () => {
    const before = (await listAll(outbox, 'refusals')).length;
    const options = { tenant: 'refusals' };
    await expect(
      mailer.enqueue(
        { to: 'a@example.com', subject: 'Hi\r\nBcc: x@evil.example', text: 'x' },
        options,
      ),
    ).rejects.toBeInstanceOf(HeaderInjectionError);
    await expect(
      mailer.enqueue(
        {
          to: ['a@example.com', 'b@example.com'],
          cc: 'c@example.com',
          bcc: 'd@example.com',
          text: 'x',
        },
        options,
      ),
    ).rejects.toBeInstanceOf(RecipientLimitExceededError);
    await expect(
      mailer.enqueue(
        {
          to: 'a@example.com',
          text: 'x',
          attachments: [{ filename: 'a.txt', content: Readable.from(['x']) }],
        },
        options,
      ),
    ).rejects.toMatchObject({
      code: 'MESSAGE_NOT_QUEUEABLE',
      message: expect.stringContaining('attachments must be Buffers or strings to be queued'),
    });
    expect(await listAll(outbox, 'refusals')).toHaveLength(before);
  });

  it('refuses a message without a sender when the relay has no default one, on an API-only replica', async () => {
    const api = apiOnly!.app.get(MailerService);
    await expect(
      api.enqueue({ to: 'a@example.com', text: 'x' }, { tenant: 'nosender' }),
    ).rejects.toBeInstanceOf(SenderRequiredError);
    expect(await listAll(outbox, 'nosender')).toHaveLength(0);
  });

  it('enqueues on a replica without a worker, and another replica’s worker delivers it', async () => {
    const api = apiOnly!.app.get(MailerService);
    const result = await api.enqueue(
      { from: 'app@acme.example.com', to: 'b@example.com', subject: 'From the API', text: 'x' },
      { tenant: 'api' },
    );
    await reaches(result.id, 'sent', 'api');
    await completed(result.id);
    const entry = (await outbox.get(result.id, 'api'))!;
    expect(entry.messageId).toMatch(/@acme\.example\.com>$/);
    expect(received(entry.messageId)).toHaveLength(1);
  });

  it('keeps Buffers of attachments through the queue', async () => {
    const content = Buffer.from([0, 1, 2, 250, 255]);
    const result = await mailer.enqueue({
      to: 'c@example.com',
      subject: 'Attachment',
      text: 'x',
      attachments: [{ filename: 'bytes.bin', content }],
    });
    await reaches(result.id, 'sent');
    const [message] = received((await outbox.get(result.id))!.messageId);
    expect(message!.raw.toString()).toContain(content.toString('base64'));
  });

  it('returns the first id for a second enqueue with the same idempotency key, and queues nothing', async () => {
    const key = `payslip-${Date.now()}`;
    const text = `once-${randomUUID()}`;
    const message = () => ({ to: 'd@example.com', subject: 'Once', text });
    const first = await mailer.enqueue(message(), { tenant: 'idem', idempotencyKey: key });
    const second = await mailer.enqueue(message(), { tenant: 'idem', idempotencyKey: key });
    expect(second).toEqual({ id: first.id, status: 'queued' });
    // Another tenant's key is its own.
    const other = await mailer.enqueue(message(), { tenant: 'idem2', idempotencyKey: key });
    expect(other.id).not.toBe(first.id);
    // Whatever the enqueues queued is in the queue once they resolve: when none of it is left,
    // the relay has everything it will ever get of this message.
    await until(
      async () => (await jobs!.unfinished('idem')) + (await jobs!.unfinished('idem2')) === 0,
      'no job of either tenant left',
      3 * MESSAGE_MS,
    );
    expect((await outbox.get(first.id, 'idem'))!.status).toBe('sent');
    expect(await listAll(outbox, 'idem')).toHaveLength(1);
    expect(received((await outbox.get(first.id, 'idem'))!.messageId)).toHaveLength(1);
    expect(relay.messages.filter((m) => m.raw.includes(text))).toHaveLength(2);
  });

  it('queues enqueues that arrive together in one write, a key repeated among them once', async () => {
    const key = `together-${randomUUID()}`;
    const text = `together-${randomUUID()}`;
    const message = (n: number) => ({ to: 'd@example.com', subject: `Together ${n}`, text });
    // Started in one tick: the outbox writes them as one batch.
    const answers = await Promise.all([
      ...Array.from({ length: 4 }, () =>
        mailer.enqueue(message(0), { tenant: 'together', idempotencyKey: key }),
      ),
      ...[1, 2, 3].map((n) => mailer.enqueue(message(n), { tenant: 'together' })),
    ]);
    const ids = new Set(answers.map((answer) => answer.id));
    expect(ids.size).toBe(4);
    expect(answers.slice(1, 4).every((answer) => answer.id === answers[0]!.id)).toBe(true);
    await until(
      async () => (await jobs!.unfinished('together')) === 0,
      'no job of the tenant left',
      4 * MESSAGE_MS,
    );
    for (const id of ids) expect((await outbox.get(id, 'together'))!.status).toBe('sent');
    expect(await listAll(outbox, 'together')).toHaveLength(4);
    expect(relay.messages.filter((m) => m.raw.includes(text))).toHaveLength(4);
  });

  it('honours the delay: the message waits in the queue, then goes once its delay has passed', async () => {
    // Waiting is shown on a delay no pause of the machine outlasts; going, on a short one.
    const waiting = await mailer.enqueue(
      { to: 'e@example.com', subject: 'Much later', text: 'x' },
      { tenant: 'later', delay: 3_600_000 },
    );
    const delayMs = 700;
    const enqueuedAt = Date.now();
    const result = await mailer.enqueue(
      { to: 'e@example.com', subject: 'Later', text: 'x' },
      { delay: delayMs },
    );
    await reaches(result.id, 'sent');
    const sent = (await outbox.get(result.id))!;
    expect(Date.parse(sent.updatedAt) - enqueuedAt).toBeGreaterThanOrEqual(delayMs);
    expect(sent.attempts).toBe(1);
    // Meanwhile no worker took the other one (it would have counted an attempt).
    expect(await jobs!.state(waiting.id)).toBe('delayed');
    expect(await outbox.get(waiting.id, 'later')).toMatchObject({ status: 'queued', attempts: 0 });
    expect(relay.messages.filter((m) => m.headers.subject === 'Much later')).toHaveLength(0);
  });

  it('retries a transient failure (the server down, then up on the same port) and delivers once', async () => {
    const port = await freePort();
    await settings.update(basic({ host: '127.0.0.1', port }), { tenant: 'flaky' });
    const result = await mailer.enqueue(
      { to: 'f@example.com', subject: 'Flaky', text: 'x' },
      { tenant: 'flaky' },
    );
    await until(
      async () => ((await outbox.get(result.id, 'flaky'))?.attempts ?? 0) >= 2,
      'two attempts',
      2 * MESSAGE_MS,
    );
    expect(await jobs!.state(result.id)).toMatch(/^(delayed|waiting|active)$/);
    const waiting = (await outbox.get(result.id, 'flaky'))!;
    expect(waiting.status).toMatch(/queued|sending/);
    expect(waiting.lastError).toMatchObject({
      code: expect.any(String),
      message: expect.any(String),
    });
    const server = await startSmtpPeer({ port });
    try {
      await reaches(result.id, 'sent', 'flaky');
      await completed(result.id);
      expect(server.messages).toHaveLength(1);
      expect(bareMessageId(server.messages[0]!.headers.messageId)).toBe(
        bareMessageId(waiting.messageId),
      );
    } finally {
      await server.close();
    }
  });

  it('fails at once on 550 for every recipient, alerts, and a retry from the log sends the same Message-ID', async () => {
    rejectAll = true;
    await settings.update(basic(rejecting), { tenant: 'rejected' });
    const result = await mailer.enqueue(
      { to: 'g@example.com', subject: 'Refused', text: 'x' },
      { tenant: 'rejected' },
    );
    await reaches(result.id, 'failed', 'rejected');
    const failed = (await outbox.get(result.id, 'rejected'))!;
    expect(failed.attempts).toBe(1);
    expect(failed.lastError).toMatchObject({ code: expect.any(String) });
    await until(
      () => alerts.some((a) => a.type === 'failed' && a.id === result.id),
      'the alert',
      MESSAGE_MS,
    );
    expect(alerts.find((a) => a.type === 'failed' && a.id === result.id)).toMatchObject({
      tenant: 'rejected',
      messageId: failed.messageId,
    });

    rejectAll = false;
    await expect(outbox.retry(result.id, 'rejected')).resolves.toEqual({
      id: result.id,
      status: 'queued',
    });
    await reaches(result.id, 'sent', 'rejected');
    await completed(result.id);
    expect(received(failed.messageId, rejecting)).toHaveLength(1);
    await expect(outbox.retry(result.id, 'rejected')).rejects.toBeInstanceOf(NotRetryableError);
  });

  it('marks a message whose connection failed after the data uncertain, and never sends it again on its own', async () => {
    const dropping = await startSmtpPeer({ dropAfterData: 1 });
    try {
      await settings.update(basic(dropping), { tenant: 'uncertain' });
      const result = await mailer.enqueue(
        { to: 'h@example.com', subject: 'Maybe', text: 'x' },
        { tenant: 'uncertain' },
      );
      await reaches(result.id, 'uncertain', 'uncertain');
      // A failed job is final: BullMQ runs it again only when asked to (a retry from the log).
      await until(
        async () => (await jobs!.state(result.id)) === 'failed',
        'the job failed',
        MESSAGE_MS,
      );
      const entry = (await outbox.get(result.id, 'uncertain'))!;
      expect(entry).toMatchObject({ status: 'uncertain', attempts: 1 });
      expect(dropping.messages).toHaveLength(1);
    } finally {
      await dropping.close();
    }
  });

  it('holds mail while the password is wrong, and delivers it once the right one is saved', async () => {
    const strict = await startSmtpPeer({ users: { mailer: 'right-P4ss!' } });
    try {
      await settings.update(basic(strict, 'wrong-P4ss!'), { tenant: 'held' });
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        ids.push(
          (
            await mailer.enqueue(
              { to: `p${i}@example.com`, subject: `Payslip ${i}`, text: 'x' },
              { tenant: 'held' },
            )
          ).id,
        );
      }
      // A held job goes back to delayed after its alert: once all three have, each has had its say.
      await until(
        async () =>
          (await listAll(outbox, 'held', 'held')).length === 3 &&
          (await Promise.all(ids.map((id) => jobs!.state(id)))).every((s) => s === 'delayed'),
        'three held messages',
        3 * MESSAGE_MS,
      );
      const held = (await outbox.get(ids[0]!, 'held'))!;
      expect(held.heldReason).toEqual(expect.any(String));
      expect(held.heldReason).not.toContain('wrong-P4ss!');
      expect(alerts.filter((a) => a.type === 'held' && a.tenant === 'held')).toHaveLength(1);
      expect((await outbox.summary('held')).counts.held).toBe(3);
      // Other tenants keep flowing meanwhile.
      const other = await mailer.enqueue({ to: 'z@example.com', text: 'x' }, { tenant: 'flowing' });
      await reaches(other.id, 'sent', 'flowing');

      await settings.update(basic(strict, 'right-P4ss!'), { tenant: 'held' });
      await until(
        async () => (await listAll(outbox, 'held', 'sent')).length === 3,
        'the held messages sent',
        3 * MESSAGE_MS,
      );
      // A job completes after its alerts: once none is left, every alert there will be is in.
      await until(
        async () => (await jobs!.unfinished('held')) === 0,
        'the held jobs completed',
        MESSAGE_MS,
      );
      expect(strict.messages).toHaveLength(3);
      expect(alerts.filter((a) => a.type === 'recovered' && a.tenant === 'held')).toHaveLength(1);
      expect(JSON.stringify(alerts)).not.toContain('P4ss!');
    } finally {
      await strict.close();
    }
  });
});

describe('Without the outbox option', () => {
  let ctx: SettingsApp | undefined;
  afterAll(async () => ctx?.app.close());

  it('provides no OutboxService, and enqueue throws OUTBOX_NOT_CONFIGURED (503)', async () => {
    ctx = await createSettingsApp({});
    expect(ctx.app.get(OutboxService)).toBeNull();
    const enqueued = ctx.app.get(MailerService).enqueue({ to: 'a@example.com', text: 'x' });
    await expect(enqueued).rejects.toMatchObject({ code: 'OUTBOX_NOT_CONFIGURED' });
    // What the exception filter answers on an app's route that enqueues.
    expect(await enqueued.then(() => 202, statusOf)).toBe(503);
  });
});
