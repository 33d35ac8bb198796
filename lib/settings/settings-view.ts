import { tryReadCertificate } from '../crypto/x509-certificate';
import type {
  ClientCertificateView,
  SealedSmtpSettings,
  SmtpSettingsView,
} from '../interfaces/smtp-settings.types';

/**
 * Settings as any response shows them: secrets are dropped, not masked, and flagged as set only
 * when they can be opened (`secretUsable`), so that the page asks for one that cannot. A
 * certificate credential shows which certificate it is and until when, never its key.
 */
export function toSettingsView(
  settings: SealedSmtpSettings,
  secretUsable = true,
): SmtpSettingsView {
  if (settings.type === 'basic') {
    const { password: _password, ...rest } = settings;
    return { ...rest, passwordSet: secretUsable };
  }
  if (settings.provider === 'google') {
    const { privateKey: _privateKey, ...rest } = settings;
    return { ...rest, privateKeySet: secretUsable };
  }
  if ('clientCertificate' in settings) {
    const { clientCertificate, ...rest } = settings;
    return {
      ...rest,
      clientCertificate: certificateView(clientCertificate?.certificate),
      clientCertificateSet: secretUsable,
    };
  }
  const { clientSecret: _clientSecret, ...rest } = settings;
  return { ...rest, clientSecretSet: secretUsable };
}

/** A stored certificate that cannot be read (an altered record) shows empty, and its key unusable. */
function certificateView(pem: unknown): ClientCertificateView {
  const facts = tryReadCertificate(pem);
  if (!facts) return { subject: '', thumbprintSha256: '', notAfter: '' };
  return {
    subject: facts.subject,
    thumbprintSha256: facts.thumbprintSha256,
    notAfter: facts.notAfter.toISOString(),
  };
}
