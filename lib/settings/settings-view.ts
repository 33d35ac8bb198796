import { tryReadCertificate } from '../crypto/x509-certificate';
import type {
  ClientCertificateView,
  SealedSmtpSettings,
  SmtpSettingsView,
} from '../interfaces/smtp-settings.types';
import { providerOf, type ProviderSettingsList } from './provider-settings.interface';

/**
 * Settings as any response shows them: secrets are dropped, not masked, and flagged as set only
 * when they can be opened (`secretUsable`), so that the page asks for one that cannot. A
 * certificate credential shows which certificate it is and until when, never its key.
 */
export function toSettingsView(
  settings: SealedSmtpSettings,
  providers: ProviderSettingsList,
  secretUsable = true,
): SmtpSettingsView {
  if (settings.type === 'basic') {
    const { password: _password, ...rest } = settings;
    return { ...rest, passwordSet: secretUsable };
  }
  const provider = providerOf(providers, settings)!;
  if (provider.clientCertificate && 'clientCertificate' in settings) {
    const { clientCertificate, ...rest } = settings;
    return {
      ...rest,
      clientCertificate: certificateView(clientCertificate?.certificate),
      clientCertificateSet: secretUsable,
    } as SmtpSettingsView;
  }
  const { [provider.secretField]: _secret, ...rest } = settings as Record<string, unknown>;
  return { ...rest, [`${provider.secretField}Set`]: secretUsable } as SmtpSettingsView;
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
