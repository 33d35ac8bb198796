import type { SmtpSettings } from '../settings/smtp-settings.types';
import { effectiveTlsMode } from '../settings/smtp-settings.rules';
import type { VerifyStage } from './verify-result.interface';

interface SmtpFailure {
  code?: string;
  responseCode?: number;
  response?: string;
  message?: string;
  cause?: { code?: string };
}

export interface Explanation {
  stage: VerifyStage;
  code: string | null;
  message: string;
}

type Target = Pick<SmtpSettings, 'hostname' | 'port' | 'useTls' | 'tlsMode'> & {
  type?: SmtpSettings['type'];
};

const CERT_ERRORS =
  /certificate|self[- ]signed|unable to verify|CERT_|altnames|Hostname\/IP does not match/i;
const NOT_TLS =
  /wrong version number|packet length too long|unknown protocol|ssl3_get_record|tls_validate_record_header/i;

/** Turns a nodemailer failure into the stage it happened at and what the admin should change. */
export function explainSmtpFailure(error: unknown, target: Target): Explanation {
  const failure = (error ?? {}) as SmtpFailure;
  const text = `${failure.message ?? ''} ${failure.cause?.code ?? ''}`;
  const where = `${target.hostname}:${target.port}`;
  const code = failure.responseCode ? String(failure.responseCode) : (failure.code ?? null);

  if (failure.code === 'EDNS' || /ENOTFOUND|EAI_AGAIN/.test(text)) {
    return {
      stage: 'dns',
      code,
      message: `${target.hostname} could not be found in DNS: check the hostname`,
    };
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
    (target.useTls && effectiveTlsMode(target) === 'implicit' && failure.code === 'ETIMEDOUT')
  ) {
    return {
      stage: 'tls',
      code,
      message: `port ${target.port} does not speak TLS from the first byte: it probably expects STARTTLS, so set tlsMode to starttls (or use port 465 for implicit TLS)`,
    };
  }
  if (failure.code === 'ETLS' || (/STARTTLS/i.test(text) && failure.code !== 'EAUTH')) {
    return {
      stage: 'tls',
      code,
      message: `the server at ${where} does not offer STARTTLS, and Send using TLS is on: use the port where it offers TLS, or ask your IT team`,
    };
  }
  if (failure.responseCode === 530 || /must issue a STARTTLS|STARTTLS first/i.test(text)) {
    return {
      stage: 'tls',
      code,
      message: `port ${target.port} expects STARTTLS: turn Send using TLS on`,
    };
  }
  if (target.type === 'bearer' && /5\.7\.139/.test(text + (failure.response ?? ''))) {
    return {
      stage: 'auth',
      code,
      message:
        'SMTP AUTH is disabled for the tenant or the mailbox (535 5.7.139): enable Authenticated SMTP for the mailbox in the Microsoft 365 admin center',
    };
  }
  if (target.type === 'bearer' && (failure.code === 'EAUTH' || failure.responseCode === 535)) {
    return {
      stage: 'auth',
      code,
      message:
        'Microsoft 365 refused the token (535 5.7.3): grant the app the SMTP.SendAsApp application permission with admin consent, register its service principal in Exchange (New-ServicePrincipal) and give it access to the mailbox in username (Add-MailboxPermission)',
    };
  }
  if (failure.code === 'EAUTH' || failure.code === 'ENOAUTH' || failure.responseCode === 535) {
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
      stage: 'connect',
      code,
      message: `the connection to ${where} timed out: check the port, and that a firewall allows it`,
    };
  }
  return {
    stage: 'connect',
    code,
    message: `could not talk to ${where}: ${firstLine(failure.message)}`,
  };
}

function firstLine(text: string | undefined): string {
  return (text ?? 'unknown error').split('\n')[0]!.slice(0, 200);
}
