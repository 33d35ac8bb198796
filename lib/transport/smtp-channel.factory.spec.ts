import type { BasicSmtpSettings } from '../interfaces/smtp-settings.types';
import type { SmtpSettingsModuleOptions } from '../options/smtp-settings-options.interface';
import { SmtpChannelFactory } from './smtp-channel.factory';
import { MAIL_PROVIDERS } from '../providers/mail-providers';

/** Basic settings: their options need no token; the providers' known hosts set the pool's size. */
function settingsAt(hostname: string): BasicSmtpSettings {
  return {
    type: 'basic',
    hostname,
    port: 587,
    useTls: true,
    username: 'mailer@contoso.com',
    password: 'not used here',
    senderEmail: 'mailer@contoso.com',
  };
}

function poolSize(hostname: string, pool?: SmtpSettingsModuleOptions['pool']): number | undefined {
  const options = { pool } as SmtpSettingsModuleOptions;
  const factory = new SmtpChannelFactory(options, MAIL_PROVIDERS);
  return factory.customTransportOptions(settingsAt(hostname), true).maxConnections;
}

describe('SmtpChannelFactory: pools to Microsoft 365', () => {
  it.each([
    'smtp.office365.com',
    'smtp-legacy.office365.com',
    'SMTP.Office365.com.',
    'smtp.office365.us',
    'smtp-mail.outlook.com',
  ])('open at most 3 connections to %s, below nodemailer’s 5', (hostname) => {
    expect(poolSize(hostname)).toBe(3);
    expect(poolSize(hostname, { maxConnections: 10 })).toBe(3);
  });

  it('keep a smaller pool option', () => {
    expect(poolSize('smtp.office365.com', { maxConnections: 2 })).toBe(2);
  });

  it('leave other servers to the pool option', () => {
    expect(poolSize('mail.example.com')).toBeUndefined();
    expect(poolSize('mail.example.com', { maxConnections: 10 })).toBe(10);
  });
});

describe('SmtpChannelFactory: targets of the explanations', () => {
  const factory = new SmtpChannelFactory({} as SmtpSettingsModuleOptions, MAIL_PROVIDERS);

  it.each(['smtp.office365.com', 'SMTP.gmail.com.'])('mark %s as a provider’s own host', (host) => {
    expect(factory.targetOf(settingsAt(host))).toMatchObject({ providerHost: true });
  });

  it('leave other hosts unmarked', () => {
    expect(factory.targetOf(settingsAt('mail.example.com'))).not.toHaveProperty('providerHost');
  });
});
