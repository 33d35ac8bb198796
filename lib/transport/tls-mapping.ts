import type { SMTPPoolOptions } from 'nodemailer';
import { effectiveTlsMode } from '../settings/tls-mode';
import type { CommonSmtpSettings } from '../interfaces/smtp-settings.types';
import type { SmtpTlsTrustOptions } from '../options/tls-options.interface';
import { trustedCas } from '../options/trusted-cas';

/**
 * The one place where "Send using TLS" becomes nodemailer options. Getting this wrong is the most
 * common bug in the field: `secure: true` on 587 hangs, and `secure: false` alone on 587 silently
 * sends in the clear when a server (or an attacker) does not offer STARTTLS.
 */
export function tlsOptionsFor(
  settings: Pick<CommonSmtpSettings, 'port' | 'useTls' | 'tlsMode'>,
  trust: SmtpTlsTrustOptions = {},
): Pick<SMTPPoolOptions, 'secure' | 'requireTLS' | 'ignoreTLS' | 'tls'> {
  // nodemailer sets the SNI name from the host itself; verification stays on whatever the caller passes.
  const ca = trustedCas(trust);
  const tls = { ...(ca ? { ca } : {}), rejectUnauthorized: true };
  if (!settings.useTls) return { secure: false, requireTLS: false, ignoreTLS: true, tls };
  return effectiveTlsMode(settings) === 'implicit'
    ? { secure: true, tls }
    : { secure: false, requireTLS: true, tls };
}
