import type { MicrosoftGraphSettings } from '../../interfaces/smtp-settings.types';
import { SMTP_SETTINGS_OPTION_DEFAULTS as DEFAULTS } from '../../options/smtp-settings.defaults';
import type {
  ChannelKit,
  MailProviderDescriptor,
  ProviderChannels,
} from '../../transport/mail-provider-descriptor.interface';
import { MicrosoftTokenProvider } from '../microsoft-smtp/microsoft-token.provider';
import { sameMailboxProblems } from '../microsoft-smtp/microsoft-rules';
import { mailboxBudget } from '../microsoft-smtp/mailbox-budget';
import { graphAdminChannel } from './graph-admin-channel';
import { GraphChannels } from './graph-channels';
import { MicrosoftGraphSettingsDto } from './microsoft-graph-settings.dto';

/**
 * Microsoft 365 through Graph `sendMail` (`provider: "microsoft-graph"`): the same Entra ID app as
 * SMTP, over HTTPS, so no server, port or TLS to set; its secret is bound to the mailbox and app.
 */
export const MICROSOFT_GRAPH: MailProviderDescriptor = {
  id: 'microsoft-graph',
  dto: MicrosoftGraphSettingsDto,
  secretField: 'clientSecret',
  clientCertificate: true,
  smtpServer: false,
  destinationFields: { clientId: 'client ID', tenantId: 'tenant ID' },
  proposal: {},
  knownHosts: [],
  tokenName: 'Microsoft 365 access token',
  problems: sameMailboxProblems,
  sendingBudget: mailboxBudget,
  connect,
};

function connect(kit: ChannelKit): ProviderChannels {
  const { options } = kit;
  const host = (options.microsoft?.graphHost ?? DEFAULTS.microsoft.graphHost).replace(/\/+$/, '');
  // Graph tokens are for the Graph host (`<graphHost>/.default`), not Exchange Online's SMTP.
  const tokens = new MicrosoftTokenProvider(options, `${host}/.default`, 'microsoft-graph');
  const graph = new GraphChannels(options, tokens);
  return {
    channel: (tenant, version, settings) =>
      graph.channel(tenant, version, settings as MicrosoftGraphSettings),
    adminChannel: (tenant, version, settings, timeoutMs) => {
      const own = settings as MicrosoftGraphSettings;
      const oneOff = tokens.oneOffTokens(own);
      return graphAdminChannel(graph, tenant, version, own, oneOff, timeoutMs);
    },
  };
}
