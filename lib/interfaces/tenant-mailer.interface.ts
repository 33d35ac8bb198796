import type { SendMailOptions } from 'nodemailer';
import type { MailerStatus } from './mail-events.interface';
import type { SendResult } from './send-result.interface';
import type { SmtpSettingsInput } from './smtp-settings-input.interface';
import type { TestEmailResult } from './test-email-result.interface';
import type { VerifyResult } from './verify-result.interface';

/**
 * `MailerService` for one tenant (`mailer.forTenant('acme')`): every call sends through, checks or
 * reports that tenant's settings, or the relay while the tenant has none.
 */
export interface TenantMailer {
  readonly tenant: string;
  send(message: SendMailOptions): Promise<SendResult>;
  verify(settings?: SmtpSettingsInput): Promise<VerifyResult>;
  sendTestEmail(to: string): Promise<TestEmailResult>;
  status(): Promise<MailerStatus>;
}
