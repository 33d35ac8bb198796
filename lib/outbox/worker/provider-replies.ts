const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** A reply by which a provider says that the mailbox may send again later, and how much later. */
export interface ReplyDeferral {
  /** Basic reply codes (RFC 5321) that must come with `enhanced`; any when absent. */
  codes?: readonly number[];
  /** The enhanced status code (RFC 3463, `class.subject.detail`), as a whole. */
  enhanced?: RegExp;
  /** Words of the reply's text. */
  text?: RegExp;
  /** How long the tenant's mail waits; a shorter wait that the reply states wins. */
  deferMs: number;
}

export const REPLY_DEFERRALS: readonly ReplyDeferral[] = [
  // Gmail's daily sending limit ("Daily user sending limit exceeded", "Daily sending quota
  // exceeded"): Google documents that the limit resets within 24 hours of being reached.
  { codes: [550], enhanced: /^5\.4\.5$/, deferMs: 24 * HOUR },
  // Gmail's "Try again later" and its temporary rate limits (421 at the greeting, 454 at login):
  // Google names no wait and asks for backoff; 5 minutes lets a short burst drain, without
  // hammering a server that just refused.
  {
    codes: [421, 454],
    enhanced: /^4\.7\.0$/,
    text: /try again later|temporar(?:y|ily) (?:rate limit|blocked)/i,
    deferMs: 5 * MINUTE,
  },
  // Exchange Online's recipient rate limit (STOREDRV SubmissionQuotaExceededException, NDR
  // 5.1.90): the mailbox sends again when its last 24 hours hold fewer recipients than the limit.
  { text: /SubmissionQuotaExceeded/i, deferMs: 24 * HOUR },
  { enhanced: /^5\.1\.90$/, deferMs: 24 * HOUR },
  // "Access denied, traffic not accepted from this IP": EOP's reputation block of the sending IP,
  // lifted by Microsoft (delisting, support) after hours, not minutes; one attempt an hour notices.
  { enhanced: /^5\.7\.708$/, deferMs: HOUR },
  // 4.7.500-4.7.699 "Server busy. Please try again later": EOP's graylisting of an IP whose volume
  // rose; Microsoft says it eases as the traffic ramps up, so 15 minutes apart.
  { enhanced: /^4\.7\.[56]\d\d$/, deferMs: 15 * MINUTE },
];

/** `550 5.4.5`, `550-5.4.5`: a basic code and the enhanced one after a space or a dash. */
const CODES = /\b([245]\d\d)[ -]([245]\.\d{1,3}\.\d{1,3})\b/g;
/** "try again in 3 hours", "resets after 30 minutes". */
const STATED =
  /\b(?:try again|retry|resend|resets?|resumes?)\b\D{0,20}?\b(\d{1,5})\s*(second|minute|hour)s?\b/i;
const UNIT_MS = { second: 1000, minute: MINUTE, hour: HOUR } as const;

/**
 * How long the reply asks the tenant's mail to wait, when it is a provider's quota or throttling
 * reply; undefined for any other. `reply` is the server's reply and the error's message together.
 */
export function replyDeferral(reply: string): number | undefined {
  const codes = [...reply.matchAll(CODES)].map(([, basic, enhanced]) => ({
    basic: Number(basic),
    enhanced: enhanced!,
  }));
  const entry = REPLY_DEFERRALS.find(
    ({ codes: basics, enhanced, text }) =>
      (!text || text.test(reply)) &&
      (!enhanced ||
        codes.some(
          (code) => enhanced.test(code.enhanced) && (!basics || basics.includes(code.basic)),
        )),
  );
  if (!entry) return undefined;
  const stated = statedWait(reply);
  return stated !== undefined && stated < entry.deferMs ? stated : entry.deferMs;
}

function statedWait(reply: string): number | undefined {
  const match = STATED.exec(reply);
  if (!match) return undefined;
  const ms = Number(match[1]) * UNIT_MS[match[2]!.toLowerCase() as keyof typeof UNIT_MS];
  return ms > 0 ? ms : undefined;
}
