import type { Address, MailMessage } from 'nodemailer';
import { randomUUID } from 'node:crypto';
import { SenderRequiredError } from '../errors/sender-required.error';

/** The sender and reply-to that messages get when they name none. */
export interface MessageDefaults {
  from?: string | Address;
  replyTo?: string;
}

/**
 * Fills From (and a Message-ID at the sender's domain) and Reply-To where the message has none.
 * Throws SenderRequiredError when there is no sender at all.
 */
export function applyMessageDefaults(mail: MailMessage, { from, replyTo }: MessageDefaults): void {
  if (!mail.data.from && from) {
    mail.data.from = from;
    mail.message.setHeader('From', from);
    // nodemailer named the Message-ID after a sender it did not have yet (@localhost).
    if (!mail.data.messageId) {
      const address = typeof from === 'string' ? from : (from.address ?? '');
      const domain = address.split('@').pop()?.replace(/>$/, '') || 'localhost';
      mail.message.setHeader('Message-ID', `<${randomUUID()}@${domain}>`);
    }
  }
  // Without one, the message would go out as MAIL FROM:<>, a bounce that nobody can answer.
  if (!mail.data.from) throw new SenderRequiredError();
  if (!mail.data.replyTo && replyTo) {
    mail.data.replyTo = replyTo;
    mail.message.setHeader('Reply-To', replyTo);
  }
}
