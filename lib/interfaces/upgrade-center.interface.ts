/** Answers whether an Upgrade Center upgrade is installed for a tenant. Plug in the product's own. */
export interface UpgradeCenter {
  /** `tenant` is a valid tenant id; single-tenant apps see the default tenant (`'default'`). */
  isInstalled(upgradeId: string, tenant: string): boolean | Promise<boolean>;
}

/** Injection token for the upgrade center: one import gives both the type and the token. */
export const UpgradeCenter = Symbol('SMTP_SETTINGS:UPGRADE_CENTER');
