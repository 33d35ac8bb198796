import type { MailMessage, SentMessageInfo } from 'nodemailer';
import { DeliveryIncompleteError } from '../errors/delivery-incomplete.error';
import type { ChannelKind, SendResult } from '../interfaces/send-result.interface';
import { batches } from './recipient-policy';
import { toSendResult } from './send-result';

/**
 * The relay's `split` policy: the same message (same headers, Bcc never written) in envelopes of
 * at most `size` recipients. A failed batch says exactly who got the message and who did not.
 */
export async function sendInBatches(
  mail: MailMessage,
  recipients: string[],
  size: number,
  sendOne: () => Promise<SentMessageInfo>,
  channel: { kind: ChannelKind; version: number },
): Promise<SendResult> {
  const from = mail.message.getEnvelope().from;
  const done: NonNullable<SendResult['batches']> = [];
  let last: SentMessageInfo | undefined;
  for (const batch of batches(recipients, size)) {
    mail.message.setEnvelope({ from, to: batch });
    try {
      last = await sendOne();
    } catch (error) {
      const sentTo = done.flatMap((b) => b.accepted);
      throw new DeliveryIncompleteError(
        sentTo,
        recipients.filter((r) => !sentTo.includes(r)),
        error,
      );
    }
    const { accepted = [], rejected = [], response } = last;
    done.push({ recipients: batch, accepted, rejected, response });
  }
  return {
    ...toSendResult(last!, channel),
    accepted: done.flatMap((b) => b.accepted),
    rejected: done.flatMap((b) => b.rejected),
    envelope: { from, to: recipients },
    batches: done,
  };
}
