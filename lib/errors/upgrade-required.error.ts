import { SmtpSettingsError } from './smtp-settings.error';

/** A feature behind an Upgrade Center upgrade that is not installed. */
export class UpgradeRequiredError extends SmtpSettingsError {
  readonly code = 'UPGRADE_REQUIRED';

  constructor(
    readonly upgradeId: string,
    upgradeName: string,
    feature: string,
  ) {
    super(
      `${feature} requires the upgrade "${upgradeName}". Install it in the Upgrade Center first.`,
    );
  }

  override toResponse() {
    return { upgrade: this.upgradeId };
  }
}
