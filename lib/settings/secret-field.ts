import type {
  SealedSmtpSettings,
  SecretField,
  SmtpSettings,
} from '../interfaces/smtp-settings.types';
import type { SmtpSettingsDto } from './validation/smtp-settings.dto';

/** The one place that knows which field holds the secret of each type. */
export function secretFieldOf(type: SmtpSettings['type']): SecretField {
  return type === 'basic' ? 'password' : 'clientSecret';
}

/** The secret of settings of either type, sealed or not; undefined when omitted. */
export function secretOf(
  settings: SmtpSettingsDto | SmtpSettings | SealedSmtpSettings,
): string | undefined {
  const secret = settings.type === 'basic' ? settings.password : settings.clientSecret;
  return secret ?? undefined;
}
