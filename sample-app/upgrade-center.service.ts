import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { UpgradeCenter } from '../lib';

/** A stand-in for the product's Upgrade Center: starts from INSTALLED_UPGRADES, changes at run time. */
@Injectable()
export class SampleUpgradeCenter implements UpgradeCenter {
  private readonly installed: Set<string>;

  constructor(config: ConfigService) {
    const list = config.get<string>('INSTALLED_UPGRADES') ?? '';
    this.installed = new Set(
      list
        .split(',')
        .map((id) => id.trim())
        .filter(Boolean),
    );
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
