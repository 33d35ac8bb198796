import type { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { InMemorySmtpSettingsStore, MailerService, OutboxService } from '../../lib';
import { OUTBOX_BACKENDS, outboxPlace, until } from '../fixtures/outbox-kit';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';
import { CapturingLogger, createTenantApp } from '../fixtures/tenant-app';

const AUTH = 'Bearer token-acme';
const cursorOf = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

/** Reads of the send log with input that cannot name anything: the caller's mistake, never an outage. */
describe.each(OUTBOX_BACKENDS)('Send log reads with forged input (%s)', (backend) => {
  const place = outboxPlace(backend, 'reads');
  let relay: SmtpPeer;
  let app: INestApplication;
  const call = (method: 'get' | 'post', path: string) =>
    request(app.getHttpServer())[method](`/smtp-settings${path}`).set('Authorization', AUTH);

  beforeAll(async () => {
    relay = await startSmtpPeer();
    app = await createTenantApp(new InMemorySmtpSettingsStore(), new CapturingLogger(), {
      encryptionKey: randomBytes(32).toString('base64'),
      relay: { transport: `smtp://${relay.host}:${relay.port}`, from: 'relay@example.com' },
      outbox: place.options(),
    });
    // Entries to page through, so that a cursor reaches the store's query.
    const mailer = app.get(MailerService);
    const ids = await Promise.all(
      [1, 2, 3].map(
        async (i) =>
          (await mailer.enqueue({ to: 'a@example.com', text: `${i}` }, { tenant: 'acme' })).id,
      ),
    );
    const outbox = app.get(OutboxService);
    await until(
      async () =>
        (await Promise.all(ids.map((id) => outbox.get(id, 'acme')))).every(
          (e) => e?.status === 'sent',
        ),
      'the entries sent',
    );
  });

  afterAll(async () => {
    await app?.close();
    await relay?.close();
    await place.drop();
  });

  it.each([
    ['a creation time past year 9999', cursorOf('999999999999999:x')],
    ['a NUL in the id', cursorOf('1700000000000:a\u0000b')],
    ['a control character in the id', cursorOf('1700000000000:a\nb')],
    ['no id', cursorOf('1700000000000:')],
    ['not base64url', 'a%00b'],
    ['a URL-encoded NUL', '%00'],
    ['something far too long', 'A'.repeat(5000)],
  ])('answers 400 INVALID_CURSOR, naming cursor, for %s', async (_, cursor) => {
    const res = await call('get', `/messages?cursor=${cursor}`);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      code: 'INVALID_CURSOR',
      errors: [{ field: 'cursor', message: 'cursor must be the nextCursor of an earlier page' }],
    });
  });

  it('still pages with the cursors it gave', async () => {
    const first = await call('get', '/messages?limit=2');
    expect(first.status).toBe(200);
    const second = await call('get', `/messages?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.status).toBe(200);
    expect(first.body.items).toHaveLength(2);
    expect(second.body.items).toHaveLength(1);
  });

  it.each(['a%00b', '%00', 'a%0Ab', `${'x'.repeat(201)}`, '%C3%A9t%C3%A9'])(
    'answers 404 MESSAGE_NOT_FOUND for an id that cannot be one (%s), to a read and a retry',
    async (id) => {
      const read = await call('get', `/messages/${id}`);
      expect(read.status).toBe(404);
      expect(read.body.code).toBe('MESSAGE_NOT_FOUND');
      const retry = await call('post', `/messages/${id}/retry`);
      expect(retry.status).toBe(404);
      expect(retry.body.code).toBe('MESSAGE_NOT_FOUND');
    },
  );

  it('answers the same for a service caller: null from get, MESSAGE_NOT_FOUND from retry', async () => {
    const outbox = app.get(OutboxService);
    await expect(outbox.get('a\u0000b', 'acme')).resolves.toBeNull();
    await expect(outbox.retry('a\u0000b', 'acme')).rejects.toMatchObject({
      code: 'MESSAGE_NOT_FOUND',
    });
    await expect(
      outbox.list('acme', { cursor: cursorOf('999999999999999:x') }),
    ).rejects.toMatchObject({
      code: 'INVALID_CURSOR',
    });
  });
});
