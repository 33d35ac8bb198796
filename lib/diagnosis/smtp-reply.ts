/** A server reply as RFC 5321 and RFC 3463 shape it: `553 5.7.1 Sender address rejected`. */
export interface SmtpReply {
  code: number;
  /** The enhanced status code (class.subject.detail), when the server sent one. */
  enhanced?: string;
  /** The text after the codes, every line joined. */
  text: string;
}

const LINE = /^(\d{3})[ -](?:([245]\.\d{1,3}\.\d{1,3})(?:\s|$))?(.*)$/;

/** Reads the reply nodemailer kept in `error.response`; undefined when there was none. */
export function parseSmtpReply(response: unknown): SmtpReply | undefined {
  if (typeof response !== 'string') return undefined;
  const lines = response
    .split(/\r?\n/)
    .map((line) => LINE.exec(line.trim()))
    .filter((match) => match !== null);
  const first = lines[0];
  if (!first) return undefined;
  return {
    code: Number(first[1]),
    enhanced: first[2],
    text: lines
      .map((match) => match[3]!.trim())
      .filter(Boolean)
      .join(' '),
  };
}

/** The reply as the admin may quote it to the server's administrator; short, on one line. */
export function quoteReply(reply: SmtpReply): string {
  const quoted = [reply.code, reply.enhanced, reply.text].filter(Boolean).join(' ');
  return quoted.length > 200 ? `${quoted.slice(0, 197)}...` : quoted;
}
