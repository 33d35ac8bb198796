import { MailerModule, MailerService as TemplateMailer } from '@nestjs-modules/mailer';
import { HandlebarsAdapter } from '@nestjs-modules/mailer/adapters/handlebars.adapter';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import request from 'supertest';
import {
  InMemorySmtpSettingsStore,
  LiveSmtpTransport,
  MailerService,
  RecipientLimitExceededError,
  SmtpSettingsModule,
  type MailEvent,
} from '../../lib';
import { ADMIN_TOKEN, TestAdminGuard } from '../fixtures/admin.guard';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';

describe('@nestjs-modules/mailer on the live transport', () => {
  let relay: SmtpPeer;
  let own: SmtpPeer;
  let app: INestApplication;

  beforeAll(async () => {
    relay = await startSmtpPeer();
    own = await startSmtpPeer();
    const moduleRef = await Test.createTestingModule({
      imports: [
        SmtpSettingsModule.forRoot({
          isGlobal: true,
          store: new InMemorySmtpSettingsStore(),
          encryptionKey: randomBytes(32).toString('base64'),
          guards: [TestAdminGuard],
          relay: {
            transport: `smtp://${relay.host}:${relay.port}`,
            from: 'relay@vendor.example.com',
          },
        }),
        // The recipe from the README: hand the live transport to MailerModule.
        MailerModule.forRootAsync({
          imports: [],
          inject: [LiveSmtpTransport],
          useFactory: (transport: LiveSmtpTransport) => ({
            transport,
            template: {
              dir: join(__dirname, '../fixtures/templates'),
              adapter: new HandlebarsAdapter(),
            },
          }),
        }),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });
  afterAll(async () => {
    await app.close();
    await Promise.all([relay.close(), own.close()]);
  });

  it('renders a handlebars template and sends it through the relay while nothing is configured', async () => {
    const info = await app.get(TemplateMailer).sendMail({
      to: 'new.user@example.com',
      subject: 'Welcome',
      template: 'welcome',
      context: { name: 'Ada', workspace: 'Analytical Engines' },
    });
    expect(info).toMatchObject({ route: 'relay', accepted: ['new.user@example.com'] });
    expect(relay.connections).toBe(1);
    const [message] = await relay.waitForMessages(1);
    expect(message!.envelope.from).toBe('relay@vendor.example.com');
    expect(message!.raw.toString()).toContain('Welcome, Ada!');
  });

  it('applies the relay recipient limit to its messages too', async () => {
    const to = Array.from({ length: 51 }, (_, i) => `u${i}@example.com`);
    await expect(
      app.get(TemplateMailer).sendMail({ to, subject: 'x', template: 'welcome', context: {} }),
    ).rejects.toBeInstanceOf(RecipientLimitExceededError);
    expect(relay.messages).toHaveLength(1);
  });

  it("follows the admin's settings, and reports its sends on events$", async () => {
    await request(app.getHttpServer())
      .put('/smtp-settings')
      .set('Authorization', `Bearer ${ADMIN_TOKEN}`)
      .send({
        type: 'basic',
        hostname: own.host,
        port: own.port,
        username: 'unused',
        password: 'unused-password',
        senderEmail: 'noreply@example.com',
        senderName: 'Example',
        useTls: false,
      })
      .expect(200);
    const events: MailEvent[] = [];
    const sub = app.get(MailerService).events$.subscribe((e) => events.push(e));
    const info = await app.get(TemplateMailer).sendMail({
      to: 'b@example.com',
      subject: 'Welcome',
      template: 'welcome',
      context: { name: 'Grace', workspace: 'Compilers' },
    });
    sub.unsubscribe();
    expect(info).toMatchObject({ route: 'custom', settingsVersion: 1 });
    const [message] = await own.waitForMessages(1);
    expect(message!.headers.from).toBe('Example <noreply@example.com>');
    expect(message!.raw.toString()).toContain('Welcome, Grace!');
    expect(events).toEqual([
      expect.objectContaining({ type: 'sent', route: 'custom', accepted: ['b@example.com'] }),
    ]);
  });
});
