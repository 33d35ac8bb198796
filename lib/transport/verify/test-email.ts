import { createTransport } from 'nodemailer';
import { DeliveryFailedError } from '../../errors/delivery-failed.error';
import { DeliveryUncertainError } from '../../errors/delivery-uncertain.error';
import type { AdminChannel } from './admin-channel';
import {
  explainRefusedRecipients,
  explainSmtpFailure,
  type Explanation,
} from '../../diagnosis/explain-smtp-failure';
import { hasCredentials } from '../../diagnosis/explain-target.interface';
import type { TestEmailResult } from '../../interfaces/test-email-result.interface';

const SUBJECT = 'SMTP settings test email';
const TEXT =
  'This test email was sent to check the SMTP server settings. ' +
  'If you can read it, mail is being delivered. The sender mailbox does not receive replies.';

/** Sends the test email over a transporter of its own, closed afterwards; never retried. */
export async function sendTestEmailOver(
  channel: AdminChannel,
  to: string,
): Promise<TestEmailResult> {
  if (!channel.from) {
    return {
      ok: false,
      stage: 'sender',
      code: 'NO_SENDER',
      message: 'the relay has no sender: set relay.from in the options of SmtpSettingsModule',
    };
  }
  // With credentials, a server that offers no AUTH is a failure, not an unauthenticated send.
  const transporter = channel.transport
    ? createTransport(channel.transport())
    : createTransport({ ...channel.options, forceAuth: hasCredentials(channel.target) });
  try {
    const info = await transporter.sendMail({
      from: channel.from,
      replyTo: channel.replyTo,
      to,
      subject: SUBJECT,
      text: TEXT,
      signal: AbortSignal.timeout(channel.deadlineMs),
    });
    const refused = info.rejectedErrors?.length
      ? explainRefusedRecipients(info.rejectedErrors, channel.target)
      : undefined;
    return {
      ok: true,
      messageId: info.messageId,
      accepted: (info.accepted ?? []).map(String),
      rejected: (info.rejected ?? []).map(String),
      envelope: { from: info.envelope.from, to: info.envelope.to },
      response: info.response,
      route: channel.kind,
      settingsVersion: channel.version,
      ...(refused ? { refused } : {}),
    };
  } catch (error) {
    if ((error as { code?: string }).code === 'EABORT') return { ok: false, ...tooSlow(channel) };
    // A Graph channel's failures are explained already.
    if (error instanceof DeliveryFailedError || error instanceof DeliveryUncertainError) {
      const { code, message } = error;
      const field = (error as { field?: string }).field;
      const stage = error instanceof DeliveryFailedError ? error.stage : 'message';
      return { ok: false, stage, code, message, ...(field ? { field } : {}) };
    }
    return { ok: false, ...explainSmtpFailure(error, channel.target) };
  } finally {
    transporter.close();
  }
}

/** Each step answered in time, but all of them together took too long for an admin to wait. */
function tooSlow({ target, deadlineMs }: AdminChannel): Explanation {
  return {
    stage: 'connect',
    code: 'ETIMEDOUT',
    message: `${target.hostname}:${target.port} took longer than ${deadlineMs / 1000} seconds to take the test email, so the test stopped waiting; the email may still arrive: check the server's load, or ask your IT team`,
  };
}
