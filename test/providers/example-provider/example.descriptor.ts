import type { SmtpServerSettings } from '../../../lib/interfaces/smtp-settings.types';
import type { MailProviderDescriptor } from '../../../lib/transport/mail-provider-descriptor.interface';
import { ExampleSettingsDto } from './example-settings.dto';
import { ExampleTokens, type ExampleAccount } from './example-tokens';

type ExampleSettings = SmtpServerSettings & ExampleAccount;

/**
 * A provider as small as one can be, defined outside lib/: an SMTP server with XOAUTH2, tokens from
 * `tokenUrl`. Registering it is one line: `[...MAIL_PROVIDERS, exampleProvider(url)]`.
 */
export function exampleProvider(tokenUrl: string): MailProviderDescriptor {
  return {
    id: 'example',
    dto: ExampleSettingsDto,
    secretField: 'clientSecret',
    smtpServer: true,
    destinationFields: { accountId: 'account ID' },
    proposal: { hostname: 'smtp.example.net', port: 465, useTls: true },
    knownHosts: ['smtp.example.net'],
    tokenName: 'Example Mail access token',
    connect: (kit) => {
      const tokens = new ExampleTokens(tokenUrl);
      return {
        channel: (tenant, version, settings) => {
          const own = settings as unknown as ExampleSettings;
          return kit.smtpChannel(version, own, { tokens: tokens.lease(tenant, version, own) });
        },
        adminChannel: (_tenant, version, settings, timeoutMs) => {
          const own = settings as unknown as ExampleSettings;
          return kit.smtpAdminChannel(version, own, tokens.oneOff(own), timeoutMs);
        },
      };
    },
  };
}
