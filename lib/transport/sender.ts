import type { Address } from 'nodemailer';
import type { SmtpSettings } from '../interfaces/smtp-settings.types';

/** The configured sender; an address object, so that nodemailer quotes the name itself. */
export function formatSender(
  settings: Pick<SmtpSettings, 'senderEmail' | 'senderName'>,
): string | Address {
  return settings.senderName
    ? { name: settings.senderName, address: settings.senderEmail }
    : settings.senderEmail;
}
