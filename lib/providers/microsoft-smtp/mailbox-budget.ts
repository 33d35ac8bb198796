import type { BearerSettings } from '../../interfaces/smtp-settings.types';
import type { SmtpSettingsModuleOptions } from '../../options/smtp-settings-options.interface';
import { SMTP_SETTINGS_OPTION_DEFAULTS as DEFAULTS } from '../../options/smtp-settings.defaults';
import type { SendingBudget } from '../../transport/mail-provider-descriptor.interface';

/**
 * Exchange Online's budget is per mailbox, whichever way the message is submitted (SMTP or Graph):
 * one key for both, by the tenant, its Entra tenant and the mailbox, so that a tenant naming
 * another's mailbox cannot spend that tenant's budget.
 */
export function mailboxBudget(
  tenant: string,
  settings: BearerSettings,
  options: Pick<SmtpSettingsModuleOptions, 'microsoft'>,
): SendingBudget | null {
  const rate = options.microsoft?.rateLimit ?? DEFAULTS.microsoft.rateLimit;
  if (rate === false) return null;
  const { tenantId, username } = settings as { tenantId?: string; username?: string };
  const mailbox = String(username ?? '').toLowerCase();
  return { key: `microsoft:${tenant}:${tenantId ?? ''}:${mailbox}`, ...rate };
}
