import type { FieldProblem } from '../errors/settings-validation.error';
import type { SmtpTlsMode } from '../interfaces/smtp-settings.types';

interface TlsFields {
  port: number;
  useTls: boolean;
  tlsMode?: SmtpTlsMode;
}

/** The SMTP AUTH endpoints of Microsoft 365: worldwide, US government, Outlook.com, 21Vianet. */
export const MICROSOFT_SMTP_HOSTS: readonly string[] = [
  'smtp.office365.com',
  'smtp.office365.us',
  'smtp-mail.outlook.com',
  'smtp.partner.outlook.cn',
];

/** Port 465 speaks TLS from the first byte; every other port upgrades with STARTTLS. */
export function effectiveTlsMode(settings: TlsFields): SmtpTlsMode {
  return settings.tlsMode ?? (settings.port === 465 ? 'implicit' : 'starttls');
}

/** Combinations that cannot work, or would expose a credential, as the article states them. */
export function crossFieldProblems(
  settings: TlsFields & { type: string; username: string; senderEmail: string },
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (settings.type === 'bearer' && !settings.useTls) {
    // XOAUTH2 sends the access token itself: without TLS anyone on the path could reuse it.
    problems.push({
      field: 'useTls',
      message:
        'Bearer authentication requires useTls to be on: the Microsoft 365 access token must never be sent without TLS',
    });
  } else if ((settings.port === 587 || settings.port === 465) && !settings.useTls) {
    problems.push({ field: 'useTls', message: `port ${settings.port} requires useTls to be on` });
  }
  if (
    settings.type === 'bearer' &&
    settings.senderEmail.toLowerCase() !== settings.username.toLowerCase()
  ) {
    problems.push({
      field: 'senderEmail',
      message:
        'senderEmail must be the same as username (the Microsoft 365 mailbox) for Bearer authentication',
    });
  }
  return problems;
}

/** Combinations that can work but usually are a mistake: saved, and pointed out. */
export function settingsWarnings(
  settings: TlsFields & { type?: string; hostname?: string },
): string[] {
  const warnings: string[] = [];
  const mode = effectiveTlsMode(settings);
  if (settings.port === 25 && settings.useTls) {
    warnings.push(
      'port 25 is normally used without TLS: the server must offer STARTTLS on port 25, or sending will fail',
    );
  }
  if (settings.useTls && settings.port === 587 && mode === 'implicit') {
    warnings.push('port 587 normally expects STARTTLS, not implicit TLS: check tlsMode');
  }
  if (settings.useTls && settings.port === 465 && mode === 'starttls') {
    warnings.push('port 465 normally expects implicit TLS, not STARTTLS: check tlsMode');
  }
  if (settings.type === 'bearer' && settings.hostname && !isMicrosoftSmtpHost(settings.hostname)) {
    warnings.push(
      `${settings.hostname} is not a known Microsoft 365 SMTP endpoint (such as smtp.office365.com): ` +
        'the Microsoft 365 access token is sent to it, so make sure that it is a server you trust',
    );
  }
  return warnings;
}

function isMicrosoftSmtpHost(hostname: string): boolean {
  return MICROSOFT_SMTP_HOSTS.includes(hostname.toLowerCase().replace(/\.$/, ''));
}
