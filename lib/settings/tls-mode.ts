import type { SmtpTlsMode } from '../interfaces/smtp-settings.types';

/** Port 465 speaks TLS from the first byte; every other port upgrades with STARTTLS. */
export function effectiveTlsMode(settings: { port: number; tlsMode?: SmtpTlsMode }): SmtpTlsMode {
  return settings.tlsMode ?? (settings.port === 465 ? 'implicit' : 'starttls');
}
