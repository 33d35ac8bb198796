import type { GoogleSmtpSettings } from '../../interfaces/smtp-settings.types';
import { SMTP_SETTINGS_OPTION_DEFAULTS as DEFAULTS } from '../../options/smtp-settings.defaults';
import type {
  ChannelKit,
  MailProviderDescriptor,
  ProviderChannels,
} from '../../transport/mail-provider-descriptor.interface';
import { GOOGLE_SMTP_HOST, googleProblems, googleWarnings } from './google-rules';
import { GoogleSmtpSettingsDto, MULTILINE_FIELDS } from './google-settings.dto';
import { GoogleTokenProvider } from './google-token.provider';
import { GOOGLE_REPLIES } from './google-replies';

/**
 * Google Workspace SMTP with XOAUTH2 (`provider: "google"`): a service account with domain-wide
 * delegation signs in as the mailbox.
 */
export const GOOGLE: MailProviderDescriptor = {
  id: 'google',
  dto: GoogleSmtpSettingsDto,
  multilineFields: MULTILINE_FIELDS,
  secretField: 'privateKey',
  smtpServer: true,
  destinationFields: { serviceAccountEmail: 'service account email' },
  proposal: { hostname: GOOGLE_SMTP_HOST, port: 465, useTls: true },
  knownHosts: [GOOGLE_SMTP_HOST],
  tokenName: 'Google access token',
  problems: googleProblems,
  warnings: googleWarnings,
  replies: GOOGLE_REPLIES,
  // Google Workspace takes at most 100 recipients per message: refused or split, as chosen.
  recipientLimit: (options) => ({
    maxRecipients: DEFAULTS.google.maxRecipients,
    policy:
      options.google?.recipientPolicy ??
      options.relay?.recipientPolicy ??
      DEFAULTS.relay.recipientPolicy,
    route: 'Google Workspace',
  }),
  connect,
};

function connect(kit: ChannelKit): ProviderChannels {
  const tokens = new GoogleTokenProvider(kit.options);
  return {
    channel: (tenant, version, settings) => {
      const google = settings as GoogleSmtpSettings;
      return kit.smtpChannel(version, google, { tokens: tokens.lease(tenant, version, google) });
    },
    adminChannel: (_tenant, version, settings, timeoutMs) => {
      const google = settings as GoogleSmtpSettings;
      return kit.smtpAdminChannel(version, google, tokens.oneOffTokens(google), timeoutMs);
    },
  };
}
