import type { VerifyStage } from '../../interfaces/verify-result.interface';
import type { ExplainTarget } from '../explain-target.interface';
import { quoteReply } from '../smtp-reply';
import { where, type ReplyContext, type ReplyExplanation } from './reply-explanation.interface';

const ALL_4XX = codesBetween(400, 499);
const ALL_5XX = codesBetween(500, 599);

/** Replies about the message itself (DATA): its size, or the server's policy. */
export const MESSAGE_REPLIES: readonly ReplyExplanation[] = [
  {
    codes: [552, 523, 554, 550],
    enhanced: ['5.3.4', '5.2.3'],
    stage: 'message',
    explain: messageTooBig,
  },
  { codes: [552], text: /size|too (big|large)/i, stage: 'message', explain: messageTooBig },
  {
    codes: [550, 554],
    enhanced: ['5.7.*', '5.6.*'],
    at: ['message'],
    explain: ({ reply }) =>
      `the server refused the message (${quoteReply(reply)}): it may have been taken for spam or broken the server's policy; ask its administrator`,
  },
];

/** Temporary and connection-wide replies, then anything else by where it came. */
export const SERVER_REPLIES: readonly ReplyExplanation[] = [
  {
    codes: [452, 451],
    enhanced: ['4.3.1'],
    explain: ({ reply }) =>
      `the server is short of storage (${quoteReply(reply)}): try again later`,
  },
  {
    codes: [450, 451],
    text: /gr[ae]y ?list|try again|retry/i,
    explain: ({ reply }) =>
      `the server deferred the message (${quoteReply(reply)}): this is usually greylisting, so try again in a few minutes`,
  },
  {
    codes: [421],
    stage: 'connect',
    explain: ({ target, reply }) =>
      `the server at ${where(target)} is not accepting mail right now and closed the connection (${quoteReply(reply)}): try again later`,
  },
  {
    codes: [554, 550, 521],
    at: ['connect'],
    explain: ({ target, reply }) =>
      `the server at ${where(target)} refuses connections from this client (${quoteReply(reply)}): ask its administrator to allow it`,
  },
  {
    codes: [550, 553, 554],
    enhanced: ['5.7.*'],
    at: ['recipients'],
    explain: ({ recipient, reply }) =>
      `the server refused ${recipient ?? 'the recipients'} by policy (${quoteReply(reply)}): ask the server's administrator`,
  },

  // Anything else, by where it came
  {
    codes: ALL_4XX,
    explain: ({ reply, stage, recipient }) =>
      `the server deferred ${subjectOf(stage, recipient)} (${quoteReply(reply)}): try again later`,
  },
  {
    codes: ALL_5XX,
    at: ['auth'],
    explain: ({ reply }) =>
      `the server refused the sign-in (${quoteReply(reply)}): check username and password`,
  },
  {
    codes: ALL_5XX,
    at: ['sender', 'recipients', 'message'],
    explain: ({ reply, stage, recipient, target }) =>
      `the server refused ${subjectOf(stage, recipient, target)} (${quoteReply(reply)})${stage === 'sender' ? ': check senderEmail' : stage === 'recipients' ? ': check the address' : ''}`,
  },
];

function messageTooBig({ reply }: ReplyContext): string {
  return `the message is larger than the server accepts (${quoteReply(reply)}): send a smaller message, or ask the server's administrator`;
}

function subjectOf(stage: VerifyStage, recipient?: string, target?: ExplainTarget): string {
  if (stage === 'sender')
    return target?.senderEmail ? `the sender ${target.senderEmail}` : 'the sender';
  if (stage === 'recipients') return recipient ?? 'the recipients';
  return 'the message';
}

function codesBetween(first: number, last: number): number[] {
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}
