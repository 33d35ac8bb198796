import { SettingsValidationError } from '../errors/settings-validation.error';
import type { SmtpSettingsDto } from './smtp-settings.dto';
import type { SecretField, SmtpSettings } from './smtp-settings.types';

/** Where a stored secret was approved to go: change any of these and the secret must be typed again. */
const IDENTITY_FIELDS = {
  basic: ['hostname', 'port', 'username'],
  bearer: ['hostname', 'port', 'username', 'clientId', 'tenantId'],
} as const;

export function secretFieldOf(type: SmtpSettings['type']): SecretField {
  return type === 'basic' ? 'password' : 'clientSecret';
}

/**
 * Fills an omitted secret from the stored settings, but only when it would go to the same server,
 * account and application it was approved for. Otherwise the admin must enter it again, so that a
 * stored secret can never be sent to a host the admin did not approve it for.
 */
export function withSecrets(dto: SmtpSettingsDto, stored: SmtpSettings | null): SmtpSettings {
  const field = secretFieldOf(dto.type);
  const given = dto.type === 'basic' ? dto.password : dto.clientSecret;
  if (given !== undefined && given !== null) return { ...dto, [field]: given } as SmtpSettings;

  if (stored === null || stored.type !== dto.type) {
    throw new SettingsValidationError([{ field, message: `${field} is required` }]);
  }
  const changed = IDENTITY_FIELDS[dto.type].filter(
    (key) =>
      normalise(dto[key as keyof SmtpSettingsDto]) !== normalise(stored[key as keyof SmtpSettings]),
  );
  if (changed.length > 0) {
    throw new SettingsValidationError([
      { field, message: `${field} must be re-entered because ${changed.join(' and ')} changed` },
    ]);
  }
  const secret = stored.type === 'basic' ? stored.password : stored.clientSecret;
  return { ...dto, [field]: secret } as SmtpSettings;
}

/** Host names and mailboxes are case-insensitive. */
function normalise(value: unknown): unknown {
  return typeof value === 'string' ? value.toLowerCase() : value;
}
