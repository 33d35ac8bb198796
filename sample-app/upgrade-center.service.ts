import { Injectable } from '@nestjs/common';
import type { UpgradeCenter } from '../lib';
import { InjectSampleConfig, type SampleConfig } from './sample.config';

/** A stand-in for the product's Upgrade Center: starts from INSTALLED_UPGRADES, changes at run time. */
@Injectable()
export class SampleUpgradeCenter implements UpgradeCenter {
  private readonly installed: Set<string>;

  constructor(@InjectSampleConfig() config: SampleConfig) {
    this.installed = new Set(config.installedUpgrades);
  }

  isInstalled(upgradeId: string): boolean {
    return this.installed.has(upgradeId);
  }

  install(upgradeId: string): void {
    this.installed.add(upgradeId);
  }

  uninstall(upgradeId: string): void {
    this.installed.delete(upgradeId);
  }

  list(): string[] {
    return [...this.installed].sort();
  }
}
