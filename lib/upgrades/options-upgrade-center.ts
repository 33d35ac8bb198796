import type { UpgradeCenter } from '../interfaces/upgrade-center.interface';

/**
 * The default upgrade center: a fixed list of installed upgrade ids, the same for every tenant, or
 * a function of an id and a tenant.
 */
export class OptionsUpgradeCenter implements UpgradeCenter {
  constructor(
    private readonly installed:
      readonly string[] | ((upgradeId: string, tenant: string) => boolean | Promise<boolean>) = [],
  ) {}

  isInstalled(upgradeId: string, tenant: string): boolean | Promise<boolean> {
    return typeof this.installed === 'function'
      ? this.installed(upgradeId, tenant)
      : this.installed.includes(upgradeId);
  }
}
