import type { VerifyStage } from '../../interfaces/verify-result.interface';
import type { ExplainTarget } from '../explain-target.interface';
import type { SmtpReply } from '../smtp-reply';

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
  /** What codes and words cannot say, such as the kind of settings a reply means something for. */
  when?(context: ReplyContext): boolean;
  explain(context: ReplyContext): string;
}

/** The server as the admin configured it, for messages. */
export function where(target: ExplainTarget): string {
  return `${target.hostname}:${target.port}`;
}
