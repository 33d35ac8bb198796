import { MailerModule, MailerService as TemplateMailer } from '@nestjs-modules/mailer';
import type { ISendMailOptions } from '@nestjs-modules/mailer';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { createTransport, type SendMailOptions } from 'nodemailer';
import { randomBytes } from 'node:crypto';
import {
  InMemorySmtpSettingsStore,
  LiveSmtpTransport,
  MailerService,
  SmtpSettingsModule,
  SmtpSettingsService,
  type MailEvent,
} from '../../lib';
import { InvalidTenantError } from '../../lib/errors/invalid-tenant.error';
import { TestAdminGuard } from '../fixtures/admin.guard';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';

/**
 * The tenant of a message sent by other means than `MailerService`: nodemailer hands the message's
 * fields to the transport as they are, so `tenant` in them names the tenant.
 */
describe('The tenant of a message sent through the live transport directly', () => {
  let relay: SmtpPeer;
  let acmeServer: SmtpPeer;
  let defaultServer: SmtpPeer;
  let app: INestApplication;
  const events: MailEvent[] = [];

  beforeAll(async () => {
    [relay, acmeServer, defaultServer] = await Promise.all([
      startSmtpPeer(),
      startSmtpPeer(),
      startSmtpPeer(),
    ]);
    const moduleRef = await Test.createTestingModule({
      imports: [
        SmtpSettingsModule.forRoot({
          isGlobal: true,
          store: new InMemorySmtpSettingsStore(),
          encryptionKey: randomBytes(32).toString('base64'),
          guards: [TestAdminGuard],
          relay: { transport: `smtp://${relay.host}:${relay.port}`, from: 'relay@example.com' },
        }),
        // The README's recipe.
        MailerModule.forRootAsync({
          imports: [],
          inject: [LiveSmtpTransport],
          useFactory: (transport: LiveSmtpTransport) => ({ transport }),
        }),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const settings = app.get(SmtpSettingsService);
    for (const [tenant, server] of [
      ['acme', acmeServer],
      ['default', defaultServer],
    ] as const) {
      const body = { type: 'basic', hostname: server.host, port: server.port, useTls: false };
      await settings.update(
        { ...body, username: 'u', password: 'p', senderEmail: `noreply@${tenant}.example.com` },
        { tenant },
      );
    }
    app.get(MailerService).events$.subscribe((e) => events.push(e));
  });
  afterEach(() => void events.splice(0));
  afterAll(async () => {
    await app.close();
    await Promise.all([relay, acmeServer, defaultServer].map((p) => p.close()));
  });

  it("@nestjs-modules/mailer sends for the default tenant, and for a tenant named in the message's `tenant`", async () => {
    const mailer = app.get(TemplateMailer);
    await mailer.sendMail({ to: 'a@example.com', subject: 'default', text: 'x' });
    // Its options type has no `tenant`: a typed variable passes it through.
    const forAcme: ISendMailOptions & { tenant: string } = {
      to: 'a@example.com',
      subject: 'acme',
      text: 'x',
      tenant: 'acme',
    };
    await mailer.sendMail(forAcme);
    await mailer.sendMail({
      to: 'a@example.com',
      subject: 'globex',
      text: 'x',
      tenant: 'globex',
    } as ISendMailOptions);

    expect(defaultServer.messages.map((m) => m.headers.subject)).toEqual(['default']);
    expect(acmeServer.messages.map((m) => m.headers.subject)).toEqual(['acme']);
    expect(relay.messages.map((m) => m.headers.subject)).toEqual(['globex']);
    expect(events.map((e) => e.tenant)).toEqual(['default', 'acme', 'globex']);
  });

  it('refuses an invalid tenant id before anything is sent or reported', async () => {
    const mailer = app.get(MailerService);
    const before = [relay, acmeServer, defaultServer].map((p) => p.connections);
    for (const tenant of ['../etc', '', 'a/b', 'x'.repeat(65)]) {
      await expect(
        mailer.send({ to: 'a@example.com', text: 'x' }, { tenant }),
      ).rejects.toBeInstanceOf(InvalidTenantError);
      await expect(mailer.status(tenant)).rejects.toBeInstanceOf(InvalidTenantError);
    }
    expect(() => mailer.forTenant('../etc')).toThrow(InvalidTenantError);
    const transporter = createTransport(app.get(LiveSmtpTransport));
    await expect(
      transporter.sendMail({ to: 'a@example.com', text: 'x', tenant: '../etc' } as SendMailOptions),
    ).rejects.toMatchObject({ code: 'INVALID_TENANT' });
    expect([relay, acmeServer, defaultServer].map((p) => p.connections)).toEqual(before);
    expect(events).toEqual([]);
  });
});
