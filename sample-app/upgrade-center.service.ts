import { Injectable, Logger } from '@nestjs/common';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { checkUpgradeIds, unknownUpgradeMessage, type UpgradeCenter } from '../lib';
import { InjectSampleConfig, type SampleConfig } from './sample.config';
import { SampleConfigError } from './sample-config.error';

/** The upgrade state file under DATA_DIR. */
export function upgradesFile(config: SampleConfig): string {
  return resolve(config.dataDir, 'upgrades.json');
}

/**
 * A stand-in for the product's Upgrade Center. It starts from INSTALLED_UPGRADES the first time; what
 * the admin installs or removes at run time is kept in DATA_DIR/upgrades.json, which wins from then on,
 * so that a restart does not silently undo it.
 */
@Injectable()
export class SampleUpgradeCenter implements UpgradeCenter {
  private readonly logger = new Logger('SampleApp');
  private readonly installed: Set<string>;
  private readonly file: string;
  /** Where the state at start-up came from, for the start-up log. */
  readonly origin: 'file' | 'INSTALLED_UPGRADES';

  constructor(@InjectSampleConfig() config: SampleConfig) {
    this.file = upgradesFile(config);
    const saved = readSaved(this.file);
    this.origin = saved ? 'file' : 'INSTALLED_UPGRADES';
    const { known, unknown } = checkUpgradeIds(saved ?? config.installedUpgrades);
    for (const id of unknown) {
      this.logger.warn(unknownUpgradeMessage(id, saved ? this.file : 'INSTALLED_UPGRADES'));
    }
    this.installed = new Set(known);
  }

  isInstalled(upgradeId: string): boolean {
    return this.installed.has(upgradeId);
  }

  install(upgradeId: string): void {
    this.installed.add(upgradeId);
    this.save();
  }

  uninstall(upgradeId: string): void {
    this.installed.delete(upgradeId);
    this.save();
  }

  list(): string[] {
    return [...this.installed].sort();
  }

  /** Written to a temporary file and renamed, so that a crash never leaves half a file. */
  private save(): void {
    mkdirSync(dirname(this.file), { recursive: true });
    const temp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify({ installed: this.list() }, null, 2) + '\n');
    renameSync(temp, this.file);
  }
}

/** The saved ids, or `undefined` when nothing was saved yet. */
function readSaved(file: string): string[] | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SampleConfigError(`The sample app cannot read ${file}: ${(error as Error).message}`);
  }
  const installed = parseInstalled(text);
  if (!installed) {
    throw new SampleConfigError(
      `${file} is not a valid upgrade state ({ "installed": ["smtp-oauth"] }): fix it, or delete it to start from INSTALLED_UPGRADES`,
    );
  }
  return installed;
}

function parseInstalled(text: string): string[] | undefined {
  try {
    const parsed = JSON.parse(text) as { installed?: unknown };
    const ids = parsed?.installed;
    return Array.isArray(ids) && ids.every((id) => typeof id === 'string') ? ids : undefined;
  } catch {
    return undefined;
  }
}
