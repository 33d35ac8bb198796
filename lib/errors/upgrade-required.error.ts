import { SmtpSettingsError } from './smtp-settings.error';

export function upgradeRequiredMessage(feature: string, upgradeName: string): string {
  return `${feature} requires the upgrade "${upgradeName}". Install it in the Upgrade Center first.`;
}

/** A feature behind an Upgrade Center upgrade that is not installed. */
export class UpgradeRequiredError extends SmtpSettingsError {
  readonly code = 'UPGRADE_REQUIRED';
  readonly status = 403;

  constructor(
    readonly upgradeId: string,
    upgradeName: string,
    feature: string,
  ) {
    super(upgradeRequiredMessage(feature, upgradeName));
  }

  override toResponse() {
    return { upgrade: this.upgradeId };
  }
}
