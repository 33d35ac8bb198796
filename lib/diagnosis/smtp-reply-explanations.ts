import type { VerifyStage } from '../interfaces/verify-result.interface';
import { RECIPIENT_REPLIES, SENDER_REPLIES } from './replies/envelope-replies';
import { MESSAGE_REPLIES, SERVER_REPLIES } from './replies/message-and-server-replies';
import type { ReplyContext, ReplyExplanation } from './replies/reply-explanation.interface';
import { SIGN_IN_REPLIES } from './replies/sign-in-replies';
import { TLS_REPLIES } from './replies/tls-replies';

export type { ReplyContext, ReplyExplanation } from './replies/reply-explanation.interface';
export { NO_AUTH_BEFORE_TLS, noAuthOffered } from './replies/sign-in-replies';

/**
 * First match wins: specific entries come before the ones they refine, stage by stage. The
 * providers' own replies (each descriptor's `replies`, which the target carries) come before these:
 * they name the setting to change at the provider.
 */
export const SMTP_REPLY_EXPLANATIONS: readonly ReplyExplanation[] = [
  ...TLS_REPLIES,
  ...SIGN_IN_REPLIES,
  ...SENDER_REPLIES,
  ...RECIPIENT_REPLIES,
  ...MESSAGE_REPLIES,
  ...SERVER_REPLIES,
];

/** The explanation of a reply, or undefined when no entry knows it. */
export function explainReply(
  context: ReplyContext,
): { stage: VerifyStage; message: string } | undefined {
  const entries = [...(context.target.replies ?? []), ...SMTP_REPLY_EXPLANATIONS];
  const entry = entries.find((candidate) => matches(candidate, context));
  if (!entry) return undefined;
  return { stage: entry.stage ?? context.stage, message: entry.explain(context) };
}

function matches(entry: ReplyExplanation, context: ReplyContext): boolean {
  const { reply, stage } = context;
  if (!entry.codes.includes(reply.code)) return false;
  if (entry.at && !entry.at.includes(stage)) return false;
  if (entry.enhanced) {
    const enhanced = reply.enhanced;
    if (!enhanced || !entry.enhanced.some((pattern) => enhancedMatches(pattern, enhanced))) {
      return false;
    }
  }
  if (entry.text && !entry.text.test(reply.text)) return false;
  return !entry.when || entry.when(context);
}

function enhancedMatches(pattern: string, enhanced: string): boolean {
  return pattern.endsWith('.*') ? enhanced.startsWith(pattern.slice(0, -1)) : pattern === enhanced;
}
