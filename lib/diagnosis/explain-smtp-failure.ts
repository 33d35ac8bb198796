import { effectiveTlsMode } from '../settings/tls-mode';
import type { ExplainTarget } from './explain-target.interface';
import { parseSmtpReply } from './smtp-reply';
import { explainReply, noAuthOffered } from './smtp-reply-explanations';
import type {
  Explanation,
  RecipientRefusal,
  VerifyStage,
} from '../interfaces/verify-result.interface';

export type { ExplainTarget } from './explain-target.interface';
export type { Explanation } from '../interfaces/verify-result.interface';

/** The code of the failure `verify` reports when the settings carry credentials and no AUTH was offered. */
export const AUTH_NOT_OFFERED = 'AUTH_NOT_OFFERED';

interface SmtpFailure {
  code?: string;
  responseCode?: number;
  response?: string;
  message?: string;
  /** The SMTP command that failed, as nodemailer names it: 'CONN', 'MAIL FROM', 'RCPT TO', ... */
  command?: string;
  /** nodemailer's phase timer: CONNECT_TIMEOUT, GREETING_TIMEOUT, UPGRADE_TIMEOUT, SOCKET_TIMEOUT. */
  timeoutType?: string;
  recipient?: string;
  rejectedErrors?: SmtpFailure[];
  cause?: { code?: string };
}

const CERT_ERRORS =
  /certificate|self[- ]signed|unable to verify|CERT_|altnames|Hostname\/IP does not match/i;
const NOT_TLS =
  /wrong version number|packet length too long|unknown protocol|ssl3_get_record|tls_validate_record_header/i;

/** Turns a nodemailer failure into the stage it happened at and what the admin should change. */
export function explainSmtpFailure(error: unknown, target: ExplainTarget): Explanation {
  const failure = (error ?? {}) as SmtpFailure;
  const text = `${failure.message ?? ''} ${failure.cause?.code ?? ''}`;
  const where = `${target.hostname}:${target.port}`;
  const code = failure.responseCode ? String(failure.responseCode) : (failure.code ?? null);
  const stage = stageOf(failure.command);
  const implicit = target.useTls && effectiveTlsMode(target) === 'implicit';

  if (failure.code === 'EDNS' || /ENOTFOUND|EAI_AGAIN/.test(text)) {
    // A provider's well-known hostname is right: the product's host cannot resolve names.
    const message = target.providerHost
      ? `this server could not look up ${target.hostname}, the provider's own hostname: check the network or DNS of the product's host (its outbound access and resolver), not the settings`
      : `${target.hostname} could not be found in DNS: check the hostname`;
    return { stage: 'dns', code, message };
  }
  if (CERT_ERRORS.test(text)) {
    return {
      stage: 'tls',
      code,
      message: `the certificate for ${target.hostname} is not trusted (${firstLine(failure.message)}): check the hostname, or ask your IT team for a certificate signed by a trusted CA`,
    };
  }
  if (
    NOT_TLS.test(text) ||
    (implicit && failure.code === 'ETIMEDOUT' && failure.timeoutType !== 'SOCKET_TIMEOUT')
  ) {
    return {
      stage: 'tls',
      code,
      message: `port ${target.port} does not speak TLS from the first byte: it probably expects STARTTLS, so set tlsMode to starttls (or use port 465 for implicit TLS)`,
    };
  }
  if (!implicit && isGreetingTimeout(failure)) {
    // The TCP connection opened and nothing came: a server waiting for a TLS handshake.
    const fix = target.useTls
      ? 'set tlsMode to implicit'
      : 'turn Send using TLS on and set tlsMode to implicit';
    return {
      stage: 'tls',
      code,
      message: `${where} accepted the connection but never greeted: this port seems to expect TLS from the first byte: ${fix}`,
    };
  }
  if (failure.code === AUTH_NOT_OFFERED) {
    return { stage: 'auth', code, message: noAuthOffered(target) };
  }
  if (stage === 'recipients' && failure.rejectedErrors?.length) {
    const refused = explainRefusedRecipients(failure.rejectedErrors, target);
    const first = explainSmtpFailure(failure.rejectedErrors[0], target);
    const others = refused.length > 1 ? ` (and ${refused.length - 1} more recipients)` : '';
    return { stage: first.stage, code: first.code, message: first.message + others, refused };
  }
  const reply = parseSmtpReply(failure.response);
  const explained =
    reply && explainReply({ reply, stage, target, recipient: failure.recipient ?? undefined });
  if (explained) return { ...explained, code: String(reply.code) };

  if (failure.code === 'ETLS' || (/STARTTLS/i.test(text) && failure.code !== 'EAUTH')) {
    return {
      stage: 'tls',
      code,
      message: `the server at ${where} does not offer STARTTLS, and Send using TLS is on: use the port where it offers TLS, or ask your IT team`,
    };
  }
  if (failure.code === 'EAUTH' || failure.code === 'ENOAUTH') {
    return { stage: 'auth', code, message: 'authentication failed: check username and password' };
  }
  if (/ECONNREFUSED/.test(text)) {
    return {
      stage: 'connect',
      code,
      message: `nothing accepts connections at ${where}: check the hostname and port`,
    };
  }
  if (failure.code === 'ETIMEDOUT' || /timed? ?out/i.test(text)) {
    return {
      stage: stage === 'connect' || failure.timeoutType ? 'connect' : stage,
      code,
      message: `the connection to ${where} timed out: check the port, and that a firewall allows it`,
    };
  }
  return {
    stage,
    code,
    message: `could not talk to ${where}: ${firstLine(failure.message)}`,
  };
}

/** Which recipients a server refused and why: for a message that some of them did not get. */
export function explainRefusedRecipients(
  rejectedErrors: readonly unknown[],
  target: ExplainTarget,
): RecipientRefusal[] {
  return rejectedErrors.map((error) => {
    const failure = error as SmtpFailure;
    const { code, message } = explainSmtpFailure({ ...failure, rejectedErrors: undefined }, target);
    return { recipient: failure.recipient ?? '', code, message };
  });
}

/** The stage of the SMTP command a failure answered. */
function stageOf(command: string | undefined): VerifyStage {
  if (!command) return 'connect';
  if (command === 'STARTTLS') return 'tls';
  if (command.startsWith('AUTH')) return 'auth';
  if (command === 'MAIL FROM') return 'sender';
  if (command === 'RCPT TO') return 'recipients';
  if (command === 'DATA') return 'message';
  return 'connect';
}

function isGreetingTimeout(failure: SmtpFailure): boolean {
  return (
    failure.code === 'ETIMEDOUT' &&
    (failure.timeoutType === 'GREETING_TIMEOUT' ||
      /Greeting never received/i.test(failure.message ?? ''))
  );
}

function firstLine(text: string | undefined): string {
  return (text ?? 'unknown error').split('\n')[0]!.slice(0, 200);
}
