import type {
  SealedSmtpSettings,
  SecretField,
  SmtpSettings,
} from '../interfaces/smtp-settings.types';
import type { SmtpSettingsDto } from './validation/smtp-settings.dto';

/** What decides the secret field: the type, and for Bearer the provider. */
type SecretKind = { type: 'basic' } | { type: 'bearer'; provider: string };

/** The one place that knows which field holds the secret of each type and provider. */
export function secretFieldOf(settings: SecretKind): SecretField {
  if (settings.type === 'basic') return 'password';
  return settings.provider === 'google' ? 'privateKey' : 'clientSecret';
}

/** The secret of settings of any kind, sealed or not; undefined when omitted. */
export function secretOf(
  settings: SmtpSettingsDto | SmtpSettings | SealedSmtpSettings,
): string | undefined {
  const secret = (settings as Partial<Record<SecretField, string>>)[secretFieldOf(settings)];
  return secret ?? undefined;
}
