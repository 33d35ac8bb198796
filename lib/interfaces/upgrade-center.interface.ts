/** Answers whether an Upgrade Center upgrade is installed. Plug in the product's own. */
export interface UpgradeCenter {
  isInstalled(upgradeId: string): boolean | Promise<boolean>;
}

/** Injection token for the upgrade center: one import gives both the type and the token. */
export const UpgradeCenter = Symbol('SMTP_SETTINGS:UPGRADE_CENTER');
