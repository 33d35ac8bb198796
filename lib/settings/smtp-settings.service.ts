import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { Subject, type Observable } from 'rxjs';
import { SecretSealer } from '../crypto/secret-sealer';
import { UpgradeRequiredError } from '../errors/upgrade-required.error';
import type { SmtpSettingsModuleOptions } from '../interfaces/smtp-settings-module-options.interface';
import {
  DEFAULT_SCOPE,
  SMTP_SETTINGS_MODULE_OPTIONS,
  SMTP_SETTINGS_SEALER,
} from '../smtp-settings.constants';
import {
  SmtpSettingsStore,
  type SmtpSettingsHistoryEntry,
  type SmtpSettingsRecord,
} from '../stores/smtp-settings-store.interface';
import { UpgradeCenter } from '../upgrades/upgrade-center.interface';
import { SMTP_OAUTH_UPGRADE } from '../upgrades/upgrades.constants';
import { secretFieldOf, withSecrets } from './secret-reuse';
import { changedFields } from './settings-diff';
import { toSettingsView } from './settings-view';
import type { SmtpSettingsChangeEvent } from './smtp-settings-change.interface';
import { settingsWarnings } from './smtp-settings.rules';
import type { SealedSmtpSettings, SmtpSettings, SmtpSettingsState } from './smtp-settings.types';
import { validateSmtpSettings } from './validate-smtp-settings';

const DEFAULT_HISTORY_LIMIT = 100;

/**
 * The settings of one scope. Reads are served from memory; the store is read at start-up and again
 * whenever it reports a change that another process made.
 */
@Injectable()
export class SmtpSettingsService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('SmtpSettings');
  private readonly changes = new Subject<SmtpSettingsChangeEvent>();
  private readonly scope: string;
  private record: SmtpSettingsRecord | null = null;
  private unwatch?: () => void;

  /** Every change, made here or by another process. The live transport rebuilds on it. */
  readonly changes$: Observable<SmtpSettingsChangeEvent> = this.changes.asObservable();

  constructor(
    @Inject(SMTP_SETTINGS_MODULE_OPTIONS) private readonly options: SmtpSettingsModuleOptions,
    @Inject(SmtpSettingsStore) private readonly store: SmtpSettingsStore,
    @Inject(SMTP_SETTINGS_SEALER) private readonly sealer: SecretSealer,
    @Inject(UpgradeCenter) private readonly upgrades: UpgradeCenter,
  ) {
    this.scope = options.scope ?? DEFAULT_SCOPE;
  }

  async onModuleInit(): Promise<void> {
    this.record = await this.store.get(this.scope);
    this.unwatch = this.store.watch?.(this.scope, (version) => void this.follow(version));
  }

  async onApplicationShutdown(): Promise<void> {
    this.unwatch?.();
    this.changes.complete();
    await this.store.close?.();
  }

  /** The current settings as an admin may see them: no secret, masked or not. */
  get(): SmtpSettingsState {
    const record = this.record;
    const settings = record?.settings ?? null;
    return {
      source: settings ? 'custom' : 'relay',
      version: record?.version ?? 0,
      updatedAt: record?.updatedAt ?? null,
      updatedBy: record?.updatedBy ?? null,
      settings: settings ? toSettingsView(settings) : null,
      warnings: settings ? settingsWarnings(settings) : [],
    };
  }

  /** The settings with their secrets opened, for the transport only. `null` means the relay. */
  resolve(): { version: number; settings: SmtpSettings | null } {
    const record = this.record;
    return {
      version: record?.version ?? 0,
      settings: record?.settings ? this.open(record.settings) : null,
    };
  }

  /**
   * Validates and saves new settings. `input` is untrusted: it is checked field by field, and an
   * omitted secret reuses the stored one only under the re-entry rule. With `expectedVersion`, a
   * stale version throws `SettingsVersionConflictError` and nothing is written.
   */
  async update(
    input: unknown,
    actor: string | null,
    expectedVersion?: number,
  ): Promise<SmtpSettingsState> {
    const settings = await this.prepare(input);
    const before = this.resolve().settings;
    const record = await this.store.put(
      this.scope,
      this.seal(settings),
      { at: new Date().toISOString(), by: actor, changed: changedFields(before, settings) },
      expectedVersion,
    );
    this.accept(record, 'local');
    return this.get();
  }

  /**
   * Validates settings that are not saved (for verify): the same rules and re-entry rule as `update`.
   */
  async prepare(input: unknown): Promise<SmtpSettings> {
    const dto = validateSmtpSettings(input);
    if (dto.type === 'bearer' && !(await this.upgrades.isInstalled(SMTP_OAUTH_UPGRADE.id))) {
      throw new UpgradeRequiredError(
        SMTP_OAUTH_UPGRADE.id,
        SMTP_OAUTH_UPGRADE.name,
        'Bearer authentication',
      );
    }
    return withoutUndefined(withSecrets(dto, this.resolve().settings));
  }

  /** Back to the vendor relay. */
  async reset(actor: string | null, expectedVersion?: number): Promise<SmtpSettingsState> {
    const before = this.resolve().settings;
    const record = await this.store.delete(
      this.scope,
      { at: new Date().toISOString(), by: actor, changed: changedFields(before, null) },
      expectedVersion,
    );
    this.accept(record, 'local');
    return this.get();
  }

  /** Newest first: who changed which fields, never their values. */
  history(): Promise<SmtpSettingsHistoryEntry[]> {
    return this.store.history(this.scope, this.options.historyLimit ?? DEFAULT_HISTORY_LIMIT);
  }

  /** A change another process made: reload, since the notification carries no settings. */
  private async follow(version: number): Promise<void> {
    if (version <= (this.record?.version ?? 0)) return;
    try {
      const record = await this.store.get(this.scope);
      if (record) this.accept(record, 'store');
    } catch (error) {
      this.logger.error(
        `Could not reload the SMTP settings after a change: ${(error as Error).message}`,
      );
    }
  }

  private accept(record: SmtpSettingsRecord, origin: SmtpSettingsChangeEvent['origin']): void {
    // Writes and reloads can finish out of order; versions only grow, so the highest one wins.
    if (this.record && record.version <= this.record.version) return;
    this.record = record;
    this.changes.next({
      scope: this.scope,
      version: record.version,
      source: record.settings ? 'custom' : 'relay',
      origin,
    });
  }

  private seal(settings: SmtpSettings): SealedSmtpSettings {
    const field = secretFieldOf(settings.type);
    const secret = settings.type === 'basic' ? settings.password : settings.clientSecret;
    return { ...settings, [field]: this.sealer.seal(secret, field) } as SealedSmtpSettings;
  }

  private open(settings: SealedSmtpSettings): SmtpSettings {
    const field = secretFieldOf(settings.type);
    const sealed = settings.type === 'basic' ? settings.password : settings.clientSecret;
    return { ...settings, [field]: this.sealer.open(sealed, field) } as SmtpSettings;
  }
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
