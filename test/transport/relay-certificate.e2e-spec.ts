import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import type { SMTPPoolOptions } from 'nodemailer';
import { InMemorySmtpSettingsStore, MailerService, SmtpSettingsModule } from '../../lib';
import { TestAdminGuard } from '../fixtures/admin.guard';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';
import { untrustedServerCert } from '../fixtures/test-ca';

/*
 * The relay's certificate is verified like any other: options that switch verification off are
 * refused when the module starts, before anything connects; a private CA is trusted with `tls.ca`.
 */
describe('The relay certificate check', () => {
  let relay: SmtpPeer;
  let ctx: SettingsApp | undefined;

  beforeAll(async () => {
    relay = await startSmtpPeer({ tls: 'implicit', cert: await untrustedServerCert() });
  });
  afterEach(async () => {
    await ctx?.app.close();
    ctx = undefined;
  });
  afterAll(() => relay.close());

  const url = () => `smtps://relay-user:relay-pass-9f3b@${relay.host}:${relay.port}`;
  const mail = {
    to: 'admin@example.com',
    from: 'relay@vendor.example.com',
    subject: 's',
    text: 't',
  };

  it.each<[string, () => string | SMTPPoolOptions]>([
    ['a URL with tls.rejectUnauthorized=false', () => `${url()}?tls.rejectUnauthorized=false`],
    [
      'an options object with tls.rejectUnauthorized false',
      () => ({
        host: relay.host,
        port: relay.port,
        secure: true,
        tls: { rejectUnauthorized: false },
      }),
    ],
    [
      'an options object whose url turns it off',
      () => ({ url: `${url()}?tls.rejectUnauthorized=false` }),
    ],
  ])('refuses %s at start-up, pointing to tls.ca', async (_name, transport) => {
    const started = createSettingsApp({ relay: { transport: transport() } });
    await expect(started).rejects.toThrow(/relay\.transport.*certificate verification off/);
    await expect(started).rejects.toThrow(/tls\.ca/);
    await expect(started).rejects.not.toThrow(/relay-pass-9f3b/);
    expect(relay.connections).toBe(0);
  });

  it('refuses it with forRootAsync too', async () => {
    const compiled = Test.createTestingModule({
      imports: [
        SmtpSettingsModule.forRootAsync({
          useFactory: async () => ({
            store: new InMemorySmtpSettingsStore(),
            encryptionKey: randomBytes(32).toString('base64'),
            guards: [TestAdminGuard],
            relay: { transport: `${url()}?tls.rejectUnauthorized=false` },
          }),
        }),
      ],
    }).compile();
    await expect(compiled).rejects.toThrow(/certificate verification off/);
  });

  it('verifies the relay certificate: an untrusted one fails the send', async () => {
    ctx = await createSettingsApp({ relay: { transport: url() }, retry: { attempts: 1 } });
    await expect(ctx.app.get(MailerService).send(mail)).rejects.toThrow(/certificate/i);
    expect(relay.messages).toHaveLength(0);
  });

  it('sends through a relay whose private CA is trusted with tls.ca', async () => {
    ctx = await createSettingsApp({
      relay: { transport: `${url()}?tls.rejectUnauthorized=true` },
      tls: { ca: relay.ca! },
    });
    const result = await ctx.app.get(MailerService).send(mail);
    expect(result.route).toBe('relay');
    const [message] = await relay.waitForMessages(1);
    expect(message!.secure).toBe(true);
  });
});
