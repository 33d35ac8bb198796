import { effectiveTlsMode } from '../../settings/smtp-settings.rules';
import { hasCredentials, type ExplainTarget } from './explain-target.interface';
import { quoteReply, type SmtpReply } from './smtp-reply';
import type { VerifyStage } from '../../interfaces/verify-result.interface';

/** What is known where a reply came. */
export interface ReplyContext {
  reply: SmtpReply;
  /** Where the reply came: the command it answered. */
  stage: VerifyStage;
  target: ExplainTarget;
  /** The recipient a RCPT TO reply is about. */
  recipient?: string;
}

/**
 * One kind of reply. A reply is matched by its code and its enhanced status code (RFC 3463), and
 * by its words only where servers share both codes for different causes (530 5.7.0 says either
 * "Authentication required" or "Must issue a STARTTLS command first").
 */
export interface ReplyExplanation {
  codes: readonly number[];
  /** Enhanced status codes such as `5.7.1` or `5.1.*`; any (or none) when absent. */
  enhanced?: readonly string[];
  text?: RegExp;
  /** Only for a reply to a command at one of these stages. */
  at?: readonly VerifyStage[];
  /** The stage to report when the cause lies elsewhere than where the reply came. */
  stage?: VerifyStage;
  explain(context: ReplyContext): string;
}

export const NO_AUTH_BEFORE_TLS =
  'the server offered no authentication on this connection; it may offer it only after STARTTLS: turn Send using TLS on';

const ALL_4XX = codesBetween(400, 499);
const ALL_5XX = codesBetween(500, 599);

/** First match wins: specific entries come before the ones they refine. */
export const SMTP_REPLY_EXPLANATIONS: readonly ReplyExplanation[] = [
  // TLS
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

  // Signing in
  {
    codes: [535, 550],
    enhanced: ['5.7.139'],
    stage: 'auth',
    explain: ({ target }) =>
      target.type === 'bearer'
        ? 'SMTP AUTH is disabled for the tenant or the mailbox (535 5.7.139): enable Authenticated SMTP for the mailbox in the Microsoft 365 admin center'
        : 'Microsoft 365 refused the password (535 5.7.139): basic authentication or SMTP AUTH is disabled for the tenant or the mailbox; enable Authenticated SMTP for the mailbox, or use Bearer authentication',
  },
  {
    codes: [535],
    stage: 'auth',
    explain: ({ target }) =>
      target.type === 'bearer'
        ? 'Microsoft 365 refused the token (535 5.7.3): grant the app the SMTP.SendAsApp application permission with admin consent, register its service principal in Exchange (New-ServicePrincipal) and give it access to the mailbox in username (Add-MailboxPermission)'
        : 'authentication failed: check username and password',
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

  // The sender (MAIL FROM, or Microsoft's SendAs check at DATA)
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

  // The recipients (RCPT TO)
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

  // The message
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

  // Temporary and connection-wide replies
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

/** The explanation of a reply, or undefined when no entry knows it. */
export function explainReply(
  context: ReplyContext,
): { stage: VerifyStage; message: string } | undefined {
  const entry = SMTP_REPLY_EXPLANATIONS.find((candidate) => matches(candidate, context));
  if (!entry) return undefined;
  return { stage: entry.stage ?? context.stage, message: entry.explain(context) };
}

/** The server offered no AUTH although the settings carry credentials. */
export function noAuthOffered(target: ExplainTarget): string {
  return target.useTls
    ? 'the server offered no authentication on this connection: use its submission port (usually 587), or ask your IT team'
    : NO_AUTH_BEFORE_TLS;
}

function matches(entry: ReplyExplanation, { reply, stage }: ReplyContext): boolean {
  if (!entry.codes.includes(reply.code)) return false;
  if (entry.at && !entry.at.includes(stage)) return false;
  if (entry.enhanced) {
    const enhanced = reply.enhanced;
    if (!enhanced || !entry.enhanced.some((pattern) => enhancedMatches(pattern, enhanced))) {
      return false;
    }
  }
  return !entry.text || entry.text.test(reply.text);
}

function enhancedMatches(pattern: string, enhanced: string): boolean {
  return pattern.endsWith('.*') ? enhanced.startsWith(pattern.slice(0, -1)) : pattern === enhanced;
}

function encryptionRequired({ reply }: ReplyContext): string {
  return `the server accepts this sign-in only over an encrypted connection (${quoteReply(reply)}): turn Send using TLS on`;
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

function messageTooBig({ reply }: ReplyContext): string {
  return `the message is larger than the server accepts (${quoteReply(reply)}): send a smaller message, or ask the server's administrator`;
}

function subjectOf(stage: VerifyStage, recipient?: string, target?: ExplainTarget): string {
  if (stage === 'sender')
    return target?.senderEmail ? `the sender ${target.senderEmail}` : 'the sender';
  if (stage === 'recipients') return recipient ?? 'the recipients';
  return 'the message';
}

function where(target: ExplainTarget): string {
  return `${target.hostname}:${target.port}`;
}

function codesBetween(first: number, last: number): number[] {
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}
