import { metrics, ProxyTracer, trace } from '@opentelemetry/api';
import { MailerService, SmtpSettingsService, type SmtpSettingsModuleOptions } from '../../lib';
import { SMTP_SETTINGS_MODULE_OPTIONS } from '../../lib/options/smtp-settings.constants';
import { registeredOtel } from '../../lib/telemetry/otel-api';
import { smtpTelemetry } from '../../lib/telemetry/smtp-telemetry';
import { OtelKit } from '../fixtures/otel-kit';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';

// @opentelemetry/api is installed here, but no SDK is registered: the app did not start one.
describe('Telemetry without an SDK registered', () => {
  let target: SmtpPeer;
  let ctx: SettingsApp;

  beforeAll(async () => {
    target = await startSmtpPeer();
    ctx = await createSettingsApp();
    await ctx.app.get(SmtpSettingsService).update({
      type: 'basic',
      hostname: target.host,
      port: target.port,
      useTls: false,
      username: 'mailer',
      password: 'nosdk-Passw0rd-1',
      senderEmail: 'noreply@acme.example.com',
    });
  });
  afterAll(async () => {
    await ctx?.app.close();
    await target?.close();
  });

  it('sends as ever, and makes no span, not even a no-op one', async () => {
    const startSpan = jest.spyOn(ProxyTracer.prototype, 'startSpan');
    const getMeter = jest.spyOn(metrics, 'getMeter');
    const mailer = ctx.app.get(MailerService);
    await mailer.send({ to: 'a@example.com', text: 'x' });
    expect((await mailer.verify()).ok).toBe(true);
    expect(startSpan).not.toHaveBeenCalled();
    // Looked up once, at the first use: not per message.
    expect(getMeter).not.toHaveBeenCalled();
    expect(registeredOtel()).toBeNull();
    const options = ctx.app.get<SmtpSettingsModuleOptions>(SMTP_SETTINGS_MODULE_OPTIONS);
    expect(smtpTelemetry(options).scope()).toBeNull();
    jest.restoreAllMocks();
  });

  it('stays off for an app that started before an SDK was registered, and never throws', async () => {
    const kit = OtelKit.register();
    try {
      expect(trace.getTracer('x')).not.toBeInstanceOf(ProxyTracer);
      await ctx.app.get(MailerService).send({ to: 'a@example.com', text: 'x' });
      expect(kit.spans()).toEqual([]);
    } finally {
      await kit.close();
    }
  });
});
