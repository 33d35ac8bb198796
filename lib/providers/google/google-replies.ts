import type { ExplainTarget } from '../../diagnosis/explain-target.interface';
import { quoteReply } from '../../diagnosis/smtp-reply';
import type {
  ReplyContext,
  ReplyExplanation,
} from '../../diagnosis/replies/reply-explanation.interface';

/**
 * Gmail's replies to Google Workspace settings (provider `google`), each with the Google Admin
 * console or Cloud console setting that fixes it. Gmail's 535 5.7.8 also answers a wrong password,
 * so these apply only to Google Bearer settings.
 */
export const GOOGLE_REPLIES: readonly ReplyExplanation[] = [
  {
    codes: [535],
    stage: 'auth',
    when: ({ target }) => isGoogleBearer(target),
    explain: tokenRefused,
  },
  {
    codes: [550, 421, 454],
    enhanced: ['5.4.5', '4.7.0'],
    text: /daily user sending limit|sending limit exceeded/i,
    when: ({ target }) => isGoogleBearer(target),
    explain: ({ reply }) =>
      `Google's sending limit for this mailbox is reached (${quoteReply(reply)}): Google Workspace allows about 2,000 messages a day per mailbox; sending resumes within 24 hours`,
  },
];

function isGoogleBearer(target: ExplainTarget): boolean {
  return target.type === 'bearer' && target.provider === 'google';
}

function tokenRefused({ target, reply }: ReplyContext): string {
  const mailbox = (target as { username?: string }).username ?? 'the mailbox';
  return `Gmail did not accept the access token for ${mailbox} (${quoteReply(reply)}): in the Google Admin console, check that ${mailbox} is an active user with Gmail enabled, and that the service account's domain-wide delegation (Security → Access and data control → API controls → Domain-wide delegation) lists the scope https://mail.google.com/`;
}
