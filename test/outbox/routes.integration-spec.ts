import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import {
  InMemorySmtpSettingsStore,
  MailerService,
  SmtpSettingsService,
  type SendLogEntry,
} from '../../lib';
import { OUTBOX_BACKENDS, outboxPlace, type OutboxPlace } from '../fixtures/outbox-kit';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';
import { CapturingLogger, createTenantApp } from '../fixtures/tenant-app';

const ACME = 'Bearer token-acme';
const GLOBEX = 'Bearer token-globex';
/** What must never reach a response: a body, an attachment, a password. */
const BODY = 'BODY-payslip-7c1e';
const HTML = 'HTML-payslip-91aa';
const ATTACHMENT = 'ATTACHMENT-payslip-53d2';
const RIGHT_PASSWORD = 'globex-right-P4ss!';
const WRONG_PASSWORD = 'globex-wrong-P4ss!';
const NEVER = [BODY, HTML, ATTACHMENT, Buffer.from(ATTACHMENT).toString('base64')];
const SECRETS = [RIGHT_PASSWORD, WRONG_PASSWORD];

/** One message through the queue to a loopback server: milliseconds when quiet, seconds when busy. */
const MESSAGE_MS = 10_000;

/** Polls `probe` until it gives a value; the outbox's state changes without an event to await. */
async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = MESSAGE_MS) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.each(OUTBOX_BACKENDS)('Send log routes (%s)', (backend) => {
  let relay: SmtpPeer;
  let globexServer: SmtpPeer;
  let place: OutboxPlace;
  let app: INestApplication;
  const responses: string[] = [];
  const http = () => request(app.getHttpServer());

  /** Every answer is kept, to scan them all at the end. */
  async function call(method: 'get' | 'post', path: string, auth = ACME) {
    const res = await http()[method](`/smtp-settings${path}`).set('Authorization', auth);
    responses.push(res.text);
    return res;
  }

  async function statusOf(id: string, auth = ACME): Promise<SendLogEntry> {
    return (await call('get', `/messages/${id}`, auth)).body as SendLogEntry;
  }

  async function settled(id: string, status: string, auth = ACME): Promise<SendLogEntry> {
    return until(`${id} ${status}`, async () => {
      const entry = await statusOf(id, auth);
      return entry.status === status ? entry : undefined;
    });
  }

  function enqueue(tenant: string, to: string, subject: string) {
    return app.get(MailerService).enqueue(
      {
        to,
        subject,
        text: BODY,
        html: `<p>${HTML}</p>`,
        attachments: [{ filename: 'payslip.txt', content: Buffer.from(ATTACHMENT) }],
      },
      { tenant },
    );
  }

  beforeAll(async () => {
    [relay, globexServer] = await Promise.all([
      startSmtpPeer({ rejectRecipients: (a) => (a.startsWith('bounce@') ? 550 : undefined) }),
      startSmtpPeer({ users: { mailer: RIGHT_PASSWORD } }),
    ]);
    place = outboxPlace(backend, 'routes');
    app = await createTenantApp(new InMemorySmtpSettingsStore(), new CapturingLogger(), {
      encryptionKey: randomBytes(32).toString('base64'),
      relay: { transport: `smtp://${relay.host}:${relay.port}`, from: 'relay@example.com' },
      outbox: place.options(),
    });
    await app.get(SmtpSettingsService).update(
      {
        type: 'basic',
        hostname: globexServer.host,
        port: globexServer.port,
        useTls: false,
        username: 'mailer',
        password: WRONG_PASSWORD,
        senderEmail: 'noreply@globex.example.com',
      },
      { tenant: 'globex' },
    );
  });

  afterAll(async () => {
    await app?.close();
    await Promise.all([relay?.close(), globexServer?.close()]);
    await place?.drop();
  });

  it('lists the tenant’s messages newest first, by status and page by page, with what happened', async () => {
    const first = await enqueue('acme', 'a@example.com', 'Payslip 1');
    const second = await enqueue('acme', 'b@example.com', 'Payslip 2');
    const bounced = await enqueue('acme', 'bounce@example.com', 'Payslip 3');
    expect(first.status).toBe('queued');
    const sent = await settled(first.id, 'sent');
    const alsoSent = await settled(second.id, 'sent');
    const failed = await settled(bounced.id, 'failed');
    const enqueued = [sent, alsoSent, failed];
    expect(enqueued.map((e) => e.createdAt)).toEqual(enqueued.map((e) => e.createdAt).sort());
    // Newest first; the id orders two created in the same millisecond, as a fast machine makes them.
    const newestFirst = [...enqueued]
      .sort((x, y) =>
        x.createdAt === y.createdAt ? (x.id < y.id ? 1 : -1) : x.createdAt < y.createdAt ? 1 : -1,
      )
      .map((e) => e.id);

    expect(sent).toMatchObject({
      id: first.id,
      tenant: 'acme',
      recipientCount: 1,
      recipients: ['a@example.com'],
      subject: 'Payslip 1',
      route: 'relay',
      // The relay is no connection of the tenant's: neither main nor backup.
      connection: null,
      messageId: expect.stringMatching(/^<.+@.+>$/),
      response: expect.stringContaining('250'),
      lastError: null,
    });
    expect(sent.attempts).toBeGreaterThanOrEqual(1);
    expect(failed.lastError).toMatchObject({
      code: expect.any(String),
      message: expect.any(String),
    });
    const delivered = relay.messages.find((m) => m.headers.subject === 'Payslip 1');
    expect(delivered?.headers.messageId).toBe(sent.messageId);

    const all = await call('get', '/messages');
    expect(all.status).toBe(200);
    expect(all.headers['cache-control']).toBe('no-store');
    expect(all.body.items.map((e: SendLogEntry) => e.id)).toEqual(newestFirst);
    expect(all.body.nextCursor).toBeNull();

    const onlyFailed = await call('get', '/messages?status=failed');
    expect(onlyFailed.body.items.map((e: SendLogEntry) => e.id)).toEqual([bounced.id]);

    const ids: string[] = [];
    let cursor = '';
    do {
      const page = await call('get', `/messages?limit=1&cursor=${encodeURIComponent(cursor)}`);
      expect(page.body.items).toHaveLength(1);
      ids.push(page.body.items[0].id);
      cursor = page.body.nextCursor ?? '';
    } while (cursor !== '');
    expect(ids).toEqual(newestFirst);
  });

  it('holds another tenant’s messages apart: its ids are 404 to this tenant, as if they did not exist', async () => {
    const globex = await enqueue('globex', 'c@example.com', 'Globex invoice');
    const held = await settled(globex.id, 'held', GLOBEX);
    expect(held.heldReason).toEqual(expect.any(String));

    for (const path of [`/messages/${globex.id}`, `/messages/unknown-id`]) {
      const res = await call('get', path);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('MESSAGE_NOT_FOUND');
    }
    const retried = await call('post', `/messages/${globex.id}/retry`);
    expect(retried.status).toBe(404);
    expect(
      (await call('get', '/messages')).body.items.map((e: SendLogEntry) => e.id),
    ).not.toContain(globex.id);
    expect(
      (await call('get', '/messages', GLOBEX)).body.items.map((e: SendLogEntry) => e.id),
    ).toEqual([globex.id]);
  });

  it('retries a failed or held message (202), and refuses a sent one (409 NOT_RETRYABLE)', async () => {
    const acme = (await call('get', '/messages')).body.items as SendLogEntry[];
    const failed = acme.find((e) => e.status === 'failed')!;
    const sent = acme.find((e) => e.status === 'sent')!;

    const again = await call('post', `/messages/${failed.id}/retry`);
    expect(again.status).toBe(202);
    expect(again.body).toEqual({ id: failed.id, status: 'queued' });
    const refused = await call('post', `/messages/${sent.id}/retry`);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('NOT_RETRYABLE');

    const [globex] = (await call('get', '/messages?status=held', GLOBEX)).body
      .items as SendLogEntry[];
    const releasedNow = await call('post', `/messages/${globex!.id}/retry`, GLOBEX);
    expect(releasedNow.status).toBe(202);
    // Still the wrong password: held again, never failed.
    await settled(globex!.id, 'held', GLOBEX);
  });

  it('summarises the tenant’s outbox: counts by status, the oldest waiting message, 24 hours', async () => {
    const acme = await call('get', '/outbox');
    expect(acme.status).toBe(200);
    expect(acme.body).toMatchObject({ tenant: 'acme', rateLimit: null });
    expect(acme.body.counts.sent).toBe(2);
    expect(acme.body.counts.held).toBe(0);
    expect(acme.body.hourly).toHaveLength(24);
    const total = (field: 'sent' | 'failed' | 'held', body = acme.body) =>
      (body.hourly as Array<Record<string, number>>).reduce((sum, hour) => sum + hour[field]!, 0);
    expect(total('sent')).toBe(2);
    expect(total('failed')).toBeGreaterThanOrEqual(1);

    const globex = await call('get', '/outbox', GLOBEX);
    expect(globex.body.tenant).toBe('globex');
    expect(globex.body.counts).toMatchObject({ held: 1, sent: 0 });
    expect(globex.body.oldestWaitingAt).toEqual(expect.any(String));
    expect(globex.body.oldestWaitingAgeMs).toBeGreaterThanOrEqual(0);
    // Buckets count transitions: held, retried, held again.
    expect(total('held', globex.body)).toBe(2);
  });

  it('refuses a bad status, limit or cursor with 400, naming each field', async () => {
    const res = await call('get', '/messages?status=lost&limit=500&cursor=not-a-cursor');
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('INVALID_REQUEST');
    expect(res.body.errors.map((p: { field: string }) => p.field)).toEqual([
      'status',
      'limit',
      'cursor',
    ]);
    for (const limit of ['0', '201', 'ten', '1.5', '-1']) {
      const bad = await call('get', `/messages?limit=${limit}`);
      expect(bad.status).toBe(400);
      expect(bad.body.errors).toEqual([
        { field: 'limit', message: expect.stringContaining('200') },
      ]);
    }
    expect((await call('get', '/messages?limit=200&status=')).status).toBe(200);
  });

  it('asks the app’s guards first: 401 without credentials, on every route', async () => {
    for (const [method, path] of [
      ['get', '/messages'],
      ['get', '/messages/x'],
      ['post', '/messages/x/retry'],
      ['get', '/outbox'],
    ] as const) {
      expect((await http()[method](`/smtp-settings${path}`)).status).toBe(401);
    }
  });

  it('never answers with a body, an attachment or a secret', () => {
    expect(responses.length).toBeGreaterThan(10);
    const all = responses.join('\n');
    for (const secret of [...NEVER, ...SECRETS]) expect(all).not.toContain(secret);
  });
});

describe('Send log routes without the outbox option', () => {
  let app: INestApplication;

  beforeAll(async () => {
    app = await createTenantApp(new InMemorySmtpSettingsStore(), new CapturingLogger(), {
      encryptionKey: randomBytes(32).toString('base64'),
    });
  });
  afterAll(() => app.close());

  it('answers 404 OUTBOX_NOT_CONFIGURED on every route, after the guards', async () => {
    for (const [method, path] of [
      ['get', '/messages'],
      ['get', '/messages/x'],
      ['post', '/messages/x/retry'],
      ['get', '/outbox'],
    ] as const) {
      const server = request(app.getHttpServer());
      expect((await server[method](`/smtp-settings${path}`)).status).toBe(401);
      const res = await server[method](`/smtp-settings${path}`).set('Authorization', ACME);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('OUTBOX_NOT_CONFIGURED');
    }
  });

  it('documents the four routes in OpenAPI: parameters, answers and their schemas', () => {
    const doc = SwaggerModule.createDocument(app, new DocumentBuilder().build());
    const list = doc.paths['/smtp-settings/messages']!.get!;
    expect(list.parameters!.map((p) => ('name' in p ? p.name : ''))).toEqual(
      expect.arrayContaining(['status', 'limit', 'cursor']),
    );
    expect(Object.keys(list.responses)).toEqual(
      expect.arrayContaining(['200', '400', '401', '403', '404', '503']),
    );
    const detail = doc.paths['/smtp-settings/messages/{id}']!.get!;
    const entry = (
      detail.responses['200'] as { content: Record<string, { schema: { properties: object } }> }
    ).content['application/json']!.schema;
    for (const body of ['text', 'html', 'attachments'])
      expect(entry.properties).not.toHaveProperty(body);
    expect(Object.keys(entry.properties)).toEqual(
      expect.arrayContaining([
        'status',
        'recipients',
        'subject',
        'lastError',
        'messageId',
        'heldReason',
        'connection',
      ]),
    );
    const retry = doc.paths['/smtp-settings/messages/{id}/retry']!.post!;
    expect(Object.keys(retry.responses)).toEqual(expect.arrayContaining(['202', '404', '409']));
    const summary = doc.paths['/smtp-settings/outbox']!.get!;
    expect(JSON.stringify(summary.responses['200'])).toContain('hourly');
  });
});
