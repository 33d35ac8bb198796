import { SecretUnsealError } from '../errors/secret-unseal.error';
import { SettingsValidationError } from '../errors/settings-validation.error';
import type { UpgradeCenter } from '../interfaces/upgrade-center.interface';
import type { SealedSmtpSettings, SmtpSettings } from '../interfaces/smtp-settings.types';
import { requireUpgradeFor } from '../upgrades/require-upgrade';
import { credentialFieldOf, secretOf } from './secret-field';
import { settingsWithSecret } from './secret-reuse';
import type { TenantSecrets } from './tenant-secrets';
import { validateSmtpSettings } from './validation/validate-smtp-settings';

/**
 * Every problem of the body at once, a missing secret included; then the stored secret is opened
 * (bound to `storeTenant`), only when the body omits it and may reuse it. The upgrade is the
 * tenant's.
 */
export async function validateAgainstStored(
  parts: { secrets: TenantSecrets; upgrades: UpgradeCenter },
  /** `tenant`: the served tenant; `storeTenant`: its key in the store (itself, or its backup's). */
  where: { tenant: string; storeTenant: string },
  input: unknown,
  stored: SealedSmtpSettings | null,
): Promise<{ settings: SmtpSettings; secretEntered: boolean }> {
  const { providers } = parts.secrets;
  const dto = validateSmtpSettings(input, providers, stored);
  await requireUpgradeFor(
    parts.upgrades,
    dto.type,
    'Bearer authentication',
    'request',
    where.tenant,
  );
  if (secretOf(dto, providers) !== undefined) {
    return { settings: settingsWithSecret(dto, stored, providers), secretEntered: true };
  }
  // validateSmtpSettings allowed the reuse, so `stored` has this type and destination.
  let secret: string;
  try {
    secret = parts.secrets.open(where.storeTenant, stored!);
  } catch (error) {
    if (!(error instanceof SecretUnsealError)) throw error;
    const field = credentialFieldOf(stored!, providers);
    throw new SettingsValidationError([{ field, message: unsealMessageOf(error) }]);
  }
  return { settings: settingsWithSecret(dto, stored, providers, secret), secretEntered: false };
}

/** What the admin reads when a stored secret cannot be opened: the cause, and what to do. */
export function unsealMessageOf(error: SecretUnsealError): string {
  return `the stored ${error.field} cannot be opened (${error.reason}): enter it again in the SMTP settings`;
}
