import type {
  SealedSmtpSettings,
  SecretField,
  SmtpSettings,
} from '../interfaces/smtp-settings.types';
import type { SmtpSettingsDto } from './validation/smtp-settings.dto';

/**
 * What decides the secret field: the type, for Bearer the provider, and for Microsoft whether the
 * app signs in with a certificate.
 */
type SecretKind = { type: 'basic' } | { type: 'bearer'; provider: string };

/** The field an admin enters a credential in, as problems name it. */
export type CredentialField = 'password' | 'clientSecret' | 'privateKey' | 'clientCertificate';

type AnySettings = SmtpSettingsDto | SmtpSettings | SealedSmtpSettings;

/** Whether Microsoft settings sign in with a certificate (`clientCertificate` is there). */
export function hasClientCertificate(settings: SecretKind): boolean {
  const certificate = (settings as { clientCertificate?: unknown }).clientCertificate;
  return settings.type === 'bearer' && settings.provider !== 'google' && certificate != null;
}

/** The one place that knows which field holds the secret of each type, provider and credential. */
export function secretFieldOf(settings: SecretKind): SecretField {
  if (settings.type === 'basic') return 'password';
  if (settings.provider === 'google') return 'privateKey';
  return hasClientCertificate(settings) ? 'clientCertificate.privateKey' : 'clientSecret';
}

/** The field the admin enters the secret in: `clientCertificate` for a certificate's key. */
export function credentialFieldOf(settings: SecretKind): CredentialField {
  const field = secretFieldOf(settings);
  return field === 'clientCertificate.privateKey' ? 'clientCertificate' : field;
}

/** The secret of settings of any kind, sealed or not; undefined when omitted. */
export function secretOf(settings: AnySettings): string | undefined {
  if (hasClientCertificate(settings)) {
    const { clientCertificate } = settings as { clientCertificate: { privateKey?: unknown } };
    const key = clientCertificate.privateKey;
    return typeof key === 'string' ? key : undefined;
  }
  const secret = (settings as Partial<Record<SecretField, string>>)[secretFieldOf(settings)];
  return secret ?? undefined;
}

/** The settings with `secret` (sealed or opened) where their kind keeps it. */
export function withSecret<T extends SmtpSettings | SealedSmtpSettings>(
  settings: SmtpSettings | SealedSmtpSettings,
  secret: string,
): T {
  if (hasClientCertificate(settings)) {
    const { clientCertificate } = settings as { clientCertificate: { certificate: string } };
    return { ...settings, clientCertificate: { ...clientCertificate, privateKey: secret } } as T;
  }
  return { ...settings, [secretFieldOf(settings)]: secret } as T;
}
