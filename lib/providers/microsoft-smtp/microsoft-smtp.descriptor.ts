import type { BearerSmtpSettings } from '../../interfaces/smtp-settings.types';
import { KeyedLeases } from '../../internal/keyed-leases';
import { SMTP_SETTINGS_OPTION_DEFAULTS as DEFAULTS } from '../../options/smtp-settings.defaults';
import type {
  ChannelKit,
  MailProviderDescriptor,
  ProviderChannels,
} from '../../transport/mail-provider-descriptor.interface';
import { SlidingWindowLimiter } from '../../transport/sliding-window-limiter';
import { MicrosoftTokenProvider } from './microsoft-token.provider';
import {
  BASIC_ON_MICROSOFT_WARNING,
  MICROSOFT_SMTP_HOSTS,
  microsoftHostWarnings,
  sameMailboxProblems,
} from './microsoft-rules';
import { BearerSmtpSettingsDto } from './microsoft-smtp-settings.dto';
import { MICROSOFT_REPLIES } from './microsoft-replies';
import { mailboxBudget } from './mailbox-budget';

/** Microsoft 365 over SMTP AUTH with XOAUTH2 (`provider: "microsoft"`): the default provider. */
export const MICROSOFT_SMTP: MailProviderDescriptor = {
  id: 'microsoft',
  dto: BearerSmtpSettingsDto,
  secretField: 'clientSecret',
  clientCertificate: true,
  smtpServer: true,
  destinationFields: { clientId: 'client ID', tenantId: 'tenant ID' },
  proposal: { hostname: 'smtp.office365.com', port: 587, useTls: true },
  knownHosts: MICROSOFT_SMTP_HOSTS,
  tokenName: 'Microsoft 365 access token',
  // Exchange Online answers 432 4.3.2 beyond a few connections at once per mailbox.
  maxConnections: 3,
  problems: sameMailboxProblems,
  warnings: microsoftHostWarnings,
  basicWarnings: () => [BASIC_ON_MICROSOFT_WARNING],
  replies: MICROSOFT_REPLIES,
  sendingBudget: mailboxBudget,
  connect,
};

function connect(kit: ChannelKit): ProviderChannels {
  const { options } = kit;
  const scope = options.microsoft?.scope ?? DEFAULTS.microsoft.scope;
  const tokens = new MicrosoftTokenProvider(options, scope);
  /** One per tenant's mailbox, kept across settings versions until its window has passed. */
  const limiters = new KeyedLeases<SlidingWindowLimiter>((limiter) => limiter.isIdle());
  const rate = options.microsoft?.rateLimit ?? DEFAULTS.microsoft.rateLimit;

  /**
   * Exchange Online allows 30 messages a minute per mailbox: queue rather than be refused. Keyed by
   * the tenant too, so that a tenant naming another's mailbox cannot spend that tenant's budget.
   */
  const limiterOf = (tenant: string, settings: BearerSmtpSettings) => {
    if (!rate) return undefined;
    const mailbox = `${settings.tenantId}/${settings.username}`.toLowerCase();
    return limiters.lease(
      `${tenant} ${mailbox}`,
      () => new SlidingWindowLimiter(rate.limit, rate.windowMs),
    );
  };
  return {
    channel: (tenant, version, settings) => {
      const smtp = settings as BearerSmtpSettings;
      const lease = tokens.lease(tenant, version, smtp);
      return kit.smtpChannel(version, smtp, { tokens: lease, limiter: limiterOf(tenant, smtp) });
    },
    adminChannel: (_tenant, version, settings, timeoutMs) => {
      const smtp = settings as BearerSmtpSettings;
      return kit.smtpAdminChannel(version, smtp, tokens.oneOffTokens(smtp), timeoutMs);
    },
  };
}
