import { effectiveTlsMode } from '../../settings/tls-mode';
import { hasCredentials, type ExplainTarget } from '../explain-target.interface';
import { quoteReply } from '../smtp-reply';
import { where, type ReplyContext, type ReplyExplanation } from './reply-explanation.interface';

export const NO_AUTH_BEFORE_TLS =
  'the server offered no authentication on this connection; it may offer it only after STARTTLS: turn Send using TLS on';

/** Replies to AUTH, and servers that want a sign-in first (Microsoft 365's are in providers/). */
export const SIGN_IN_REPLIES: readonly ReplyExplanation[] = [
  {
    codes: [535],
    stage: 'auth',
    explain: () => 'authentication failed: check username and password',
  },
  {
    codes: [534],
    stage: 'auth',
    explain: ({ reply }) =>
      `the server refused this way of signing in for the account (${quoteReply(reply)}): it may require an app password, or modern authentication`,
  },
  {
    codes: [454],
    at: ['auth'],
    explain: ({ reply }) =>
      `the server could not check the credentials right now (${quoteReply(reply)}): try again in a few minutes`,
  },
  {
    codes: [504],
    at: ['auth'],
    explain: ({ reply }) =>
      `the server does not accept this way of signing in (${quoteReply(reply)}): ask your IT team which methods it offers`,
  },
  {
    // The AUTH command itself is unknown or not enabled here: the server offered none.
    codes: [500, 502, 503],
    at: ['auth'],
    explain: ({ target }) => noAuthOffered(target),
  },
  {
    codes: [530],
    stage: 'auth',
    explain: authenticationRequired,
  },
  {
    codes: [550, 553, 554],
    text: /authentication required|not authenticated/i,
    stage: 'auth',
    explain: authenticationRequired,
  },
];

/** The server offered no AUTH although the settings carry credentials. */
export function noAuthOffered(target: ExplainTarget): string {
  return target.useTls
    ? 'the server offered no authentication on this connection: use its submission port (usually 587), or ask your IT team'
    : NO_AUTH_BEFORE_TLS;
}

function authenticationRequired({ target, reply }: ReplyContext): string {
  const quoted = quoteReply(reply);
  if (!hasCredentials(target)) {
    return `the server at ${where(target)} requires authentication (${quoted}): configure a username and password for it`;
  }
  return target.useTls || effectiveTlsMode(target) === 'implicit'
    ? `the server requires authentication (${quoted}) but did not offer it on this connection: use its submission port (usually 587), or ask your IT team`
    : `the server requires authentication (${quoted}) and offered none on this connection; it may offer it only after STARTTLS: turn Send using TLS on`;
}
