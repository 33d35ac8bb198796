import { quoteReply } from '../smtp-reply';
import type { ReplyContext, ReplyExplanation } from './reply-explanation.interface';

/** Replies about the sender (MAIL FROM, or Microsoft's SendAs check at DATA). */
export const SENDER_REPLIES: readonly ReplyExplanation[] = [
  {
    codes: [550, 554],
    text: /SendAsDenied|send as/i,
    stage: 'sender',
    explain: senderRefused,
  },
  {
    codes: [501, 550, 553, 555],
    enhanced: ['5.1.*'],
    at: ['sender'],
    explain: ({ target, reply }) =>
      `the server does not accept ${target.senderEmail ?? 'the sender address'} as a sender (${quoteReply(reply)}): check senderEmail`,
  },
  { codes: [550, 553, 554], enhanced: ['5.7.*'], at: ['sender'], explain: senderRefused },
  { codes: [553], at: ['sender'], explain: senderRefused },
];

/** Replies about the recipients (RCPT TO). */
export const RECIPIENT_REPLIES: readonly ReplyExplanation[] = [
  {
    codes: [454, 550, 551, 553, 554],
    text: /relay|client host rejected|access denied/i,
    at: ['recipients'],
    explain: ({ recipient, reply }) =>
      `the server refused to deliver to ${recipient ?? 'the recipients'} (${quoteReply(reply)}): this server did not accept you as an authenticated sender: use its submission port with authentication`,
  },
  {
    codes: [452, 451, 550, 552, 554],
    enhanced: ['4.5.3', '5.5.3'],
    stage: 'recipients',
    explain: tooManyRecipients,
  },
  {
    codes: [452, 451, 550, 552, 554],
    text: /too many recipients/i,
    stage: 'recipients',
    explain: tooManyRecipients,
  },
  {
    codes: [550, 551, 553],
    enhanced: ['5.1.*'],
    at: ['recipients'],
    explain: unknownRecipient,
  },
  {
    codes: [550, 551, 553],
    text: /unknown|no such|does not exist|not found|invalid recipient|unavailable/i,
    at: ['recipients'],
    explain: unknownRecipient,
  },
  {
    codes: [452, 552],
    enhanced: ['4.2.2', '5.2.2'],
    explain: ({ recipient, reply }) =>
      `the mailbox of ${recipient ?? 'a recipient'} is full (${quoteReply(reply)}): try again later, or write to another address`,
  },
];

function senderRefused({ target, reply }: ReplyContext): string {
  const sender = target.senderEmail ? `the sender ${target.senderEmail}` : 'the sender';
  return `the server refused ${sender} (${quoteReply(reply)}): senderEmail must be an address that this account may send as`;
}

function unknownRecipient({ recipient, reply }: ReplyContext): string {
  return `the server refused ${recipient ?? 'the recipient'}: the mailbox does not exist (${quoteReply(reply)}): check the address`;
}

function tooManyRecipients({ reply }: ReplyContext): string {
  return `the server accepts fewer recipients per message (${quoteReply(reply)}): send to fewer recipients at once`;
}
