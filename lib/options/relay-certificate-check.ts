import type { SMTPPoolOptions } from 'nodemailer';
import type { SmtpRelayOptions } from './relay-options.interface';

/**
 * Refuses relay options that switch certificate verification off, in the URL's query
 * (`tls.rejectUnauthorized=false`, which nodemailer reads) or in an options object. Certificates are
 * always verified, the relay's too; the way to reach a server behind a private CA is `tls.ca`.
 * The message never repeats the URL, which may hold the relay's password.
 */
export function assertRelayVerifiesCertificates(relay: SmtpRelayOptions | undefined): void {
  if (!relay) return;
  const transport = relay.transport;
  const options: Partial<SMTPPoolOptions> =
    typeof transport === 'string' ? { url: transport } : (transport ?? {});
  const where =
    options.tls?.rejectUnauthorized !== undefined && options.tls.rejectUnauthorized !== true
      ? 'tls.rejectUnauthorized in its options'
      : typeof options.url === 'string' && urlTurnsVerificationOff(options.url)
        ? 'tls.rejectUnauthorized in its URL'
        : null;
  if (where) {
    throw new Error(
      `SmtpSettingsModule: relay.transport turns certificate verification off (${where}). ` +
        'Certificates are always verified, the relay’s too. To trust a relay whose certificate a ' +
        'private CA signed, remove that setting and pass the CA’s PEM in the module’s tls.ca option instead.',
    );
  }
}

/** nodemailer copies `tls.*` query parameters into its TLS options; anything but true is refused. */
function urlTurnsVerificationOff(url: string): boolean {
  let params: URLSearchParams;
  try {
    params = new URL(url).searchParams;
  } catch {
    return false;
  }
  return params.getAll('tls.rejectUnauthorized').some((value) => value !== 'true');
}
