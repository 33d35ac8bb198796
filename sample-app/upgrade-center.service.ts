import { Injectable, Logger } from '@nestjs/common';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { UpgradeCenter } from '../lib';
import { InjectSampleConfig, type SampleConfig } from './sample.config';
import { SampleConfigError } from './sample-config.error';
import { knownUpgradeIds } from './upgrade-ids';
import { parseUpgradesFile } from './upgrades-file';

/** The upgrade state file under DATA_DIR. */
export function upgradesFile(config: SampleConfig): string {
  return resolve(config.dataDir, 'upgrades.json');
}

/**
 * A stand-in for the product's Upgrade Center, per tenant. A tenant starts from INSTALLED_UPGRADES;
 * what its admin installs or removes at run time is kept in DATA_DIR/upgrades.json, which wins for
 * that tenant from then on, so that a restart does not silently undo it.
 */
@Injectable()
export class SampleUpgradeCenter implements UpgradeCenter {
  private readonly logger = new Logger('SampleApp');
  private readonly initial: ReadonlySet<string>;
  /** The tenants whose admin installed or removed an upgrade, and what they have now. */
  private readonly saved = new Map<string, Set<string>>();
  private readonly file: string;
  /** Whether upgrades.json existed at start-up, for the start-up log. */
  readonly origin: 'file' | 'INSTALLED_UPGRADES';

  constructor(@InjectSampleConfig() config: SampleConfig) {
    this.file = upgradesFile(config);
    this.initial = new Set(this.known(config.installedUpgrades, 'INSTALLED_UPGRADES'));
    const saved = readSaved(this.file);
    this.origin = saved ? 'file' : 'INSTALLED_UPGRADES';
    for (const [tenant, ids] of Object.entries(saved ?? {})) {
      this.saved.set(tenant, new Set(this.known(ids, this.file)));
    }
  }

  isInstalled(upgradeId: string, tenant: string): boolean {
    return (this.saved.get(tenant) ?? this.initial).has(upgradeId);
  }

  install(upgradeId: string, tenant: string): void {
    this.change(tenant, (ids) => ids.add(upgradeId));
  }

  uninstall(upgradeId: string, tenant: string): void {
    this.change(tenant, (ids) => ids.delete(upgradeId));
  }

  list(tenant: string): string[] {
    return [...(this.saved.get(tenant) ?? this.initial)].sort();
  }

  /** Whether the tenant's upgrades come from upgrades.json rather than INSTALLED_UPGRADES. */
  isSaved(tenant: string): boolean {
    return this.saved.has(tenant);
  }

  private change(tenant: string, edit: (ids: Set<string>) => void): void {
    const ids = new Set(this.saved.get(tenant) ?? this.initial);
    edit(ids);
    this.saved.set(tenant, ids);
    this.save();
  }

  private known(ids: readonly string[], source: string): string[] {
    return knownUpgradeIds(ids, source, (line) => this.logger.warn(line));
  }

  /** Written to a temporary file and renamed, so that a crash never leaves half a file. */
  private save(): void {
    const tenants = Object.fromEntries(
      [...this.saved.keys()].sort().map((tenant) => [tenant, this.list(tenant)]),
    );
    mkdirSync(dirname(this.file), { recursive: true });
    const temp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify({ tenants }, null, 2) + '\n');
    renameSync(temp, this.file);
  }
}

/** The saved ids per tenant, or `undefined` when nothing was saved yet. */
function readSaved(file: string): Record<string, string[]> | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SampleConfigError(`The sample app cannot read ${file}: ${(error as Error).message}`);
  }
  return parseUpgradesFile(text, file);
}
