import type { FieldProblem } from '../errors/settings-validation.error';
import type { SmtpTlsMode } from './smtp-settings.types';

interface TlsFields {
  port: number;
  useTls: boolean;
  tlsMode?: SmtpTlsMode;
}

/** Port 465 speaks TLS from the first byte; every other port upgrades with STARTTLS. */
export function effectiveTlsMode(settings: TlsFields): SmtpTlsMode {
  return settings.tlsMode ?? (settings.port === 465 ? 'implicit' : 'starttls');
}

/** Combinations that cannot work, as the article states them. */
export function crossFieldProblems(
  settings: TlsFields & { type: string; username: string; senderEmail: string },
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if ((settings.port === 587 || settings.port === 465) && !settings.useTls) {
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
export function settingsWarnings(settings: TlsFields): string[] {
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
  return warnings;
}
