import type { SmtpSettingsProposals } from '../settings/smtp-settings.proposals';
import type { SmtpAuthType } from '../interfaces/smtp-settings.types';

/** What the admin page needs to know before it renders the form. */
export interface SmtpSettingsCapabilities {
  authTypes: SmtpAuthType[];
  /** The providers' ids (`MailProvider`), in the order the page offers them. */
  providers: string[];
  upgrade: { id: string; name: string; installed: boolean };
  relay: { maxRecipients: number };
  defaults: SmtpSettingsProposals;
}
