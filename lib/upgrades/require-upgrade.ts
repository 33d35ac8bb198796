import { DeliveryUnavailableError } from '../errors/delivery-unavailable.error';
import { UpgradeRequiredError } from '../errors/upgrade-required.error';
import type { SmtpAuthType } from '../interfaces/smtp-settings.types';
import type { UpgradeCenter } from '../interfaces/upgrade-center.interface';
import { SMTP_OAUTH_UPGRADE } from './upgrades.constants';

/** The upgrade each authentication type needs; Basic needs none. */
const UPGRADE_BY_AUTH_TYPE: Partial<Record<SmtpAuthType, { id: string; name: string }>> = {
  bearer: SMTP_OAUTH_UPGRADE,
};

/** Whether settings of this authentication type need an upgrade at all (Basic: no). */
export function needsUpgrade(authType: SmtpAuthType | undefined): boolean {
  return !!authType && UPGRADE_BY_AUTH_TYPE[authType] !== undefined;
}

/**
 * The one upgrade check, for one tenant. `request`: settings an admin sends now, refused with `UpgradeRequiredError`
 * (403). `saved`: settings saved before their upgrade was removed, which fail closed with
 * `DeliveryUnavailableError` ('upgrade-removed', 503) and never fall back to another server.
 */
export async function requireUpgradeFor(
  upgrades: UpgradeCenter,
  authType: SmtpAuthType | undefined,
  feature: string,
  kind: 'request' | 'saved',
  tenant: string,
): Promise<void> {
  const upgrade = authType && UPGRADE_BY_AUTH_TYPE[authType];
  if (!upgrade || (await upgrades.isInstalled(upgrade.id, tenant))) return;
  if (kind === 'request') throw new UpgradeRequiredError(upgrade.id, upgrade.name, feature);
  throw new DeliveryUnavailableError(
    'upgrade-removed',
    `Mail cannot be sent: the saved SMTP settings use ${feature}, which needs the upgrade "${upgrade.name}", and it is no longer installed. Install it again in the Upgrade Center, or save other SMTP settings.`,
  );
}
