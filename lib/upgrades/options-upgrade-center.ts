import type { UpgradeCenter } from '../interfaces/upgrade-center.interface';

/** The default upgrade center: a fixed list of installed upgrade ids, or a function of an id. */
export class OptionsUpgradeCenter implements UpgradeCenter {
  constructor(
    private readonly installed:
      readonly string[] | ((upgradeId: string) => boolean | Promise<boolean>) = [],
  ) {}

  isInstalled(upgradeId: string): boolean | Promise<boolean> {
    return typeof this.installed === 'function'
      ? this.installed(upgradeId)
      : this.installed.includes(upgradeId);
  }
}
