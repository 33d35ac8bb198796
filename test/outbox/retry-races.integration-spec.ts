import { randomBytes } from 'node:crypto';
import request from 'supertest';
import {
  InMemorySmtpSettingsStore,
  MailerService,
  OutboxService,
  SmtpSettingsService,
} from '../../lib';
import { statusOf } from '../../lib/http/smtp-settings-exception.filter';
import { ADMIN_TOKEN } from '../fixtures/admin.guard';
import {
  bareMessageId,
  listAll,
  OUTBOX_BACKENDS,
  outboxPlace,
  until,
} from '../fixtures/outbox-kit';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';

const MESSAGES = 40;
const HELD = 20;
/** Per message, with room for a loaded machine: the proofs wait for events, never for time. */
const MESSAGE_MS = 1_000;
const AUTH = { Authorization: `Bearer ${ADMIN_TOKEN}` };

/**
 * Retries that race each other, the worker and a save on another replica: the send log's status
 * moves by compare and set, so every answer is 202 or 409, and every message goes once.
 */
describe.each(OUTBOX_BACKENDS)('Retries racing on two replicas (%s)', (backend) => {
  jest.setTimeout(30_000 + (MESSAGES + HELD) * MESSAGE_MS);
  const place = outboxPlace(backend, 'races');
  const store = new InMemorySmtpSettingsStore();
  const encryptionKey = randomBytes(32).toString('base64');
  let rejectAll = true;
  let relay: SmtpPeer;
  let mailbox: SmtpPeer;
  let a: SettingsApp;
  let b: SettingsApp;

  beforeAll(async () => {
    relay = await startSmtpPeer({ rejectRecipients: () => (rejectAll ? 550 : undefined) });
    mailbox = await startSmtpPeer({ users: { mailer: 'right-password' } });
    const replica = () =>
      createSettingsApp({
        store,
        encryptionKey,
        relay: {
          transport: `smtp://${relay.host}:${relay.port}`,
          from: 'relay@vendor.example.com',
        },
        retry: { attempts: 1 },
        outbox: place.options({ concurrency: 4 }),
      });
    [a, b] = [await replica(), await replica()];
  });
  afterAll(async () => {
    await Promise.all([a?.app.close(), b?.app.close()]);
    await Promise.all([relay?.close(), mailbox?.close()]);
    await place.drop();
  });

  const retryOn = (replica: SettingsApp, id: string) =>
    request(replica.app.getHttpServer()).post(`/smtp-settings/messages/${id}/retry`).set(AUTH);

  function deliveredOnce(peer: SmtpPeer, messageIds: string[]): void {
    for (const messageId of messageIds) {
      const copies = peer.messages.filter(
        (m) => bareMessageId(m.headers.messageId) === bareMessageId(messageId),
      );
      expect(copies).toHaveLength(1);
    }
  }

  it(`answers ${MESSAGES} double Retries of failed messages with one 202 and one 409 each, and sends each once`, async () => {
    const tenant = 'default';
    const outbox = a.app.get(OutboxService);
    const ids = [];
    for (let i = 0; i < MESSAGES; i++) {
      ids.push(
        (
          await a.app
            .get(MailerService)
            .enqueue({ to: `u${i}@example.com`, subject: `Failed ${i}`, text: 'x' })
        ).id,
      );
    }
    await until(
      async () => (await listAll(outbox, tenant, 'failed')).length === MESSAGES,
      'every message failed',
      MESSAGES * MESSAGE_MS,
    );
    rejectAll = false;
    const answers = await Promise.all(
      ids.map((id) => Promise.all([retryOn(a, id), retryOn(b, id)])),
    );
    for (const pair of answers) {
      expect(pair.map((res) => res.status).sort()).toEqual([202, 409]);
      const refused = pair.find((res) => res.status === 409)!;
      expect(refused.body.code).toBe('NOT_RETRYABLE');
    }
    await until(
      async () => (await listAll(outbox, tenant, 'sent')).length === MESSAGES,
      'every message sent',
      MESSAGES * MESSAGE_MS,
    );
    const entries = await listAll(outbox, tenant);
    expect(entries.every((entry) => entry.status === 'sent')).toBe(true);
    deliveredOnce(
      relay,
      entries.map((entry) => entry.messageId),
    );
  });

  it(`sends each of ${HELD} held messages once when one replica saves the right password while the other retries them`, async () => {
    const tenant = 'acme';
    const settings = {
      type: 'basic',
      hostname: mailbox.host,
      port: mailbox.port,
      useTls: false,
      username: 'mailer',
      senderEmail: 'noreply@acme.example.com',
    };
    await a.app
      .get(SmtpSettingsService)
      .update({ ...settings, password: 'wrong-password' }, { tenant });
    const outbox = a.app.get(OutboxService);
    const ids = [];
    for (let i = 0; i < HELD; i++) {
      ids.push(
        (
          await a.app
            .get(MailerService)
            .enqueue({ to: `h${i}@example.com`, subject: `Held ${i}`, text: 'x' }, { tenant })
        ).id,
      );
    }
    await until(
      async () => (await listAll(outbox, tenant, 'held')).length === HELD,
      'every message held',
      HELD * MESSAGE_MS,
    );
    // Retries on A (a 409, as the route answers it, is a NotRetryableError), the save on B: at once.
    const retries = Promise.all(
      ids.map((id) =>
        a.app
          .get(OutboxService)
          .retry(id, tenant)
          .then(() => 202, statusOf),
      ),
    );
    const saved = b.app
      .get(SmtpSettingsService)
      .update({ ...settings, password: 'right-password' }, { tenant });
    const [statuses] = await Promise.all([retries, saved]);
    expect(statuses.every((status) => status === 202 || status === 409)).toBe(true);
    await until(
      async () => (await listAll(outbox, tenant, 'sent')).length === HELD,
      'every held message sent',
      HELD * MESSAGE_MS,
    );
    const entries = await listAll(outbox, tenant);
    expect(entries.every((entry) => entry.status === 'sent')).toBe(true);
    deliveredOnce(
      mailbox,
      entries.map((entry) => entry.messageId),
    );
  });
});
