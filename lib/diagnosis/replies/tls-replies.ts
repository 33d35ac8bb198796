import { quoteReply } from '../smtp-reply';
import { where, type ReplyContext, type ReplyExplanation } from './reply-explanation.interface';

/** Replies about encryption: STARTTLS refused or required, TLS required before signing in. */
export const TLS_REPLIES: readonly ReplyExplanation[] = [
  {
    codes: [530, 538],
    enhanced: ['5.7.11'],
    stage: 'tls',
    explain: encryptionRequired,
  },
  {
    codes: [530, 538, 554],
    text: /STARTTLS|TLS (is )?required|encryption required|must use TLS/i,
    stage: 'tls',
    explain: ({ target, reply }) =>
      target.useTls
        ? `the server at ${where(target)} asks for STARTTLS on a connection that is already encrypted (${quoteReply(reply)}): check tlsMode, or ask your IT team`
        : `port ${target.port} expects STARTTLS before anything else: turn Send using TLS on`,
  },
  {
    codes: [538],
    stage: 'tls',
    explain: encryptionRequired,
  },
  {
    codes: [454],
    at: ['tls'],
    explain: ({ reply }) =>
      `the server could not start TLS right now (${quoteReply(reply)}): try again later, or ask your IT team`,
  },
  {
    codes: [500, 502, 503, 504],
    at: ['tls'],
    explain: ({ target }) =>
      `the server at ${where(target)} does not offer STARTTLS, and Send using TLS is on: use the port where it offers TLS, or ask your IT team`,
  },
];

function encryptionRequired({ reply }: ReplyContext): string {
  return `the server accepts this sign-in only over an encrypted connection (${quoteReply(reply)}): turn Send using TLS on`;
}
