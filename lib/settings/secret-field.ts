import type {
  SealedSmtpSettings,
  SecretField,
  SmtpSettings,
} from '../interfaces/smtp-settings.types';
import { providerOf, type ProviderSettingsList } from './provider-settings.interface';
import type { SmtpSettingsDto } from './validation/smtp-settings.dto';

/**
 * What decides the secret field: the type, for Bearer the provider, and for a provider whose app
 * may sign in with a certificate (Microsoft's) whether it does.
 */
type SecretKind = { type: 'basic' } | { type: 'bearer'; provider: string };

/** The field an admin enters a credential in, as problems name it. */
export type CredentialField = 'password' | 'clientSecret' | 'privateKey' | 'clientCertificate';

type AnySettings = SmtpSettingsDto | SmtpSettings | SealedSmtpSettings;

/** Whether settings sign in with a certificate (`clientCertificate` is there, and may be). */
export function hasClientCertificate(
  settings: SecretKind,
  providers: ProviderSettingsList,
): boolean {
  const certificate = (settings as { clientCertificate?: unknown }).clientCertificate;
  return providerOf(providers, settings)?.clientCertificate === true && certificate != null;
}

/** The one place that knows which field holds the secret of each type, provider and credential. */
export function secretFieldOf(settings: SecretKind, providers: ProviderSettingsList): SecretField {
  const provider = providerOf(providers, settings);
  if (!provider) return 'password';
  return hasClientCertificate(settings, providers)
    ? 'clientCertificate.privateKey'
    : provider.secretField;
}

/** The field the admin enters the secret in: `clientCertificate` for a certificate's key. */
export function credentialFieldOf(
  settings: SecretKind,
  providers: ProviderSettingsList,
): CredentialField {
  const field = secretFieldOf(settings, providers);
  return field === 'clientCertificate.privateKey' ? 'clientCertificate' : field;
}

/** The secret of settings of any kind, sealed or not; undefined when omitted. */
export function secretOf(
  settings: AnySettings,
  providers: ProviderSettingsList,
): string | undefined {
  if (hasClientCertificate(settings, providers)) {
    const { clientCertificate } = settings as { clientCertificate: { privateKey?: unknown } };
    const key = clientCertificate.privateKey;
    return typeof key === 'string' ? key : undefined;
  }
  const field = secretFieldOf(settings, providers);
  const secret = (settings as Partial<Record<SecretField, string>>)[field];
  return secret ?? undefined;
}

/** The settings with `secret` (sealed or opened) where their kind keeps it. */
export function withSecret<T extends SmtpSettings | SealedSmtpSettings>(
  settings: SmtpSettings | SealedSmtpSettings,
  secret: string,
  providers: ProviderSettingsList,
): T {
  if (hasClientCertificate(settings, providers)) {
    const { clientCertificate } = settings as { clientCertificate: { certificate: string } };
    return { ...settings, clientCertificate: { ...clientCertificate, privateKey: secret } } as T;
  }
  return { ...settings, [secretFieldOf(settings, providers)]: secret } as T;
}
