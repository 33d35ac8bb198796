import { simpleParser } from 'mailparser';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MailerService } from '../../lib';
import { ExternalContentRefusedError } from '../../lib/errors/external-content-refused.error';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';

describe('Content a message names for nodemailer to read at send time (direct send)', () => {
  let relay: SmtpPeer;
  let server: Server;
  let url: string;
  let dir: string;
  let file: string;
  const fetched: string[] = [];
  const apps: SettingsApp[] = [];

  beforeAll(async () => {
    relay = await startSmtpPeer();
    server = createServer((req, res) => {
      fetched.push(req.url ?? '');
      res.end('fetched-from-the-url');
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/latest/meta-data`;
    dir = await mkdtemp(join(tmpdir(), 'external-content-'));
    file = join(dir, 'secret.txt');
    await writeFile(file, 'read-from-the-file');
  });

  afterAll(async () => {
    await Promise.all(apps.map((ctx) => ctx.app.close()));
    await relay?.close();
    server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function mailerWith(allowFileAndUrlContent?: boolean): Promise<MailerService> {
    const ctx = await createSettingsApp({
      relay: { transport: `smtp://${relay.host}:${relay.port}`, from: 'relay@vendor.example.com' },
      retry: { attempts: 1 },
      ...(allowFileAndUrlContent === undefined ? {} : { allowFileAndUrlContent }),
    });
    apps.push(ctx);
    return ctx.app.get(MailerService);
  }

  it.each([
    ['a file attachment', () => ({ attachments: [{ path: file }] }), 'attachments[0].path'],
    ['a URL attachment', () => ({ attachments: [{ href: url }] }), 'attachments[0].href'],
    ['html from a URL', () => ({ html: { path: url } }), 'html.path'],
    ['text from a file', () => ({ text: { path: file } }), 'text.path'],
  ])('refuses %s by default, naming the field, and reads nothing', async (_, part, field) => {
    const mailer = await mailerWith();
    const before = relay.messages.length;
    const sent = mailer.send({ to: 'a@example.com', subject: 'x', text: 'x', ...part() });
    await expect(sent).rejects.toBeInstanceOf(ExternalContentRefusedError);
    await expect(sent).rejects.toMatchObject({
      code: 'EXTERNAL_CONTENT_REFUSED',
      field,
    });
    expect(relay.messages.length).toBe(before);
    expect(fetched).toEqual([]);
  });

  it('takes inline content and data: URIs by default', async () => {
    const mailer = await mailerWith();
    await mailer.send({
      to: 'a@example.com',
      subject: 'inline',
      text: 'x',
      attachments: [{ content: 'inline' }, { path: 'data:text/plain;base64,ZGF0YQ==' }],
    });
    const message = relay.messages.find((m) => m.headers.subject === 'inline')!;
    expect((await simpleParser(message.raw)).attachments.map((a) => a.content.toString())).toEqual([
      'inline',
      'data',
    ]);
  });

  it('reads files and URLs when the app sets allowFileAndUrlContent', async () => {
    const mailer = await mailerWith(true);
    await mailer.send({
      to: 'a@example.com',
      subject: 'allowed',
      text: 'x',
      attachments: [{ path: file }, { href: url }],
    });
    const message = relay.messages.find((m) => m.headers.subject === 'allowed')!;
    expect((await simpleParser(message.raw)).attachments.map((a) => a.content.toString())).toEqual([
      'read-from-the-file',
      'fetched-from-the-url',
    ]);
    expect(fetched).toEqual(['/latest/meta-data']);
  });
});
