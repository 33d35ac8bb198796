import { simpleParser } from 'mailparser';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MailerService, OutboxService } from '../../lib';
import { listAll, OUTBOX_BACKENDS, outboxPlace, until } from '../fixtures/outbox-kit';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';

const MAX_BYTES = 4096;

/** The refusal a caller gets: MESSAGE_NOT_QUEUEABLE (400) naming the field, nothing stored. */
const refusedAt = (field: string) => ({ code: 'MESSAGE_NOT_QUEUEABLE', field });

describe.each(OUTBOX_BACKENDS)('What the outbox refuses to store, on %s', (backend) => {
  const place = outboxPlace(backend, 'content');
  let relay: SmtpPeer;
  let ctx: SettingsApp | undefined;
  let mailer: MailerService;
  let outbox: OutboxService;
  // A URL an attachment may name: were it fetched, this server would see a request.
  let metadata: Server;
  let metadataUrl: string;
  const fetched: string[] = [];

  beforeAll(async () => {
    relay = await startSmtpPeer();
    metadata = createServer((req, res) => {
      fetched.push(req.url ?? '');
      res.end('secret-instance-credentials');
    }).listen(0, '127.0.0.1');
    await once(metadata, 'listening');
    metadataUrl = `http://127.0.0.1:${(metadata.address() as AddressInfo).port}/latest/meta-data`;
    ctx = await createSettingsApp({
      relay: { transport: `smtp://${relay.host}:${relay.port}`, from: 'relay@vendor.example.com' },
      retry: { attempts: 1 },
      outbox: place.options({ maxMessageBytes: MAX_BYTES }),
    });
    mailer = ctx.app.get(MailerService);
    outbox = ctx.app.get(OutboxService);
  });

  afterAll(async () => {
    await ctx?.app.close();
    await relay?.close();
    metadata?.close();
    await place.drop();
  });

  it.each([
    ['subject', { subject: 'Pay\u0000slip' }, 'message.subject'],
    ['text', { text: 'a\u0000b' }, 'message.text'],
    ['html', { html: '<p>\u0000</p>' }, 'message.html'],
    ['a header', { headers: { 'X-Run': 'r\u0000' } }, 'message.headers.X-Run'],
    ['a lone surrogate', { text: 'broken \ud800 text' }, 'message.text'],
  ])(
    'refuses %s that no store or server takes, naming the field and storing nothing',
    async (_, part, field) => {
      const tenant = `nul-${field.replace(/\W/g, '')}`;
      await expect(
        mailer.enqueue({ to: 'a@example.com', text: 'x', ...part }, { tenant }),
      ).rejects.toMatchObject(refusedAt(field));
      expect(await listAll(outbox, tenant)).toHaveLength(0);
    },
  );

  it.each([
    [
      'a local file',
      { attachments: [{ filename: 'p', path: '/etc/passwd' }] },
      'message.attachments[0].path',
    ],
    [
      'a URL',
      () => ({ attachments: [{ filename: 'm', href: metadataUrl }] }),
      'message.attachments[0].href',
    ],
    [
      'a URL as path',
      () => ({ attachments: [{ path: metadataUrl }] }),
      'message.attachments[0].path',
    ],
    ['html from a file', { html: { path: '/etc/hostname' } }, 'message.html.path'],
    [
      'an alternative from a URL',
      () => ({ alternatives: [{ href: metadataUrl }] }),
      'message.alternatives[0].href',
    ],
  ])(
    'refuses content to read later from %s: it keeps only the bytes it was given',
    async (_, part, field) => {
      const tenant = `external-${field.replace(/\W/g, '')}`;
      const extra = typeof part === 'function' ? part() : part;
      await expect(
        mailer.enqueue({ to: 'a@example.com', text: 'x', ...extra }, { tenant }),
      ).rejects.toMatchObject(refusedAt(field));
      expect(await listAll(outbox, tenant)).toHaveLength(0);
      expect(fetched).toEqual([]);
    },
  );

  it('takes content as a string, a Buffer or a data: URI, and delivers it', async () => {
    const { id } = await mailer.enqueue(
      {
        to: 'a@example.com',
        subject: 'Attached',
        text: 'x',
        attachments: [
          { filename: 'a.txt', content: 'string content' },
          { filename: 'b.bin', content: Buffer.from([0, 1, 2, 0]) },
          { filename: 'c.txt', path: 'data:text/plain;base64,ZGF0YSB1cmk=' },
        ],
      },
      { tenant: 'content-ok' },
    );
    await until(async () => (await outbox.get(id, 'content-ok'))?.status === 'sent', 'sent');
    const message = relay.messages.find((m) => m.headers.subject === 'Attached')!;
    const attachments = (await simpleParser(message.raw)).attachments.map((a) =>
      a.content.toString('latin1'),
    );
    expect(attachments).toEqual(['string content', '\u0000\u0001\u0002\u0000', 'data uri']);
  });

  it(`refuses a message over outbox.maxMessageBytes (${MAX_BYTES}), counting attachments, and takes one under it`, async () => {
    const tenant = 'too-big';
    const text = 'x'.repeat(MAX_BYTES - 100);
    await expect(
      mailer.enqueue(
        { to: 'a@example.com', text, attachments: [{ content: Buffer.alloc(101) }] },
        { tenant },
      ),
    ).rejects.toMatchObject({
      ...refusedAt('message'),
      message: expect.stringContaining(`over outbox.maxMessageBytes (${MAX_BYTES})`),
    });
    expect(await listAll(outbox, tenant)).toHaveLength(0);
    await expect(
      mailer.enqueue({ to: 'a@example.com', text: 'x'.repeat(MAX_BYTES - 200) }, { tenant }),
    ).resolves.toMatchObject({ status: 'queued' });
  });
});
