import type { SMTP_SETTINGS_PROPOSALS } from '../settings/smtp-settings.proposals';
import type { MailProvider, SmtpAuthType } from '../interfaces/smtp-settings.types';

/** What the admin page needs to know before it renders the form. */
export interface SmtpSettingsCapabilities {
  authTypes: SmtpAuthType[];
  providers: MailProvider[];
  upgrade: { id: string; name: string; installed: boolean };
  relay: { maxRecipients: number };
  defaults: typeof SMTP_SETTINGS_PROPOSALS;
}
