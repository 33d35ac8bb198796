import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { Subject, type Observable } from 'rxjs';
import { SecretSealer } from '../crypto/secret-sealer';
import { DeliveryUnavailableError } from '../errors/delivery-unavailable.error';
import { SecretUnsealError } from '../errors/secret-unseal.error';
import { SettingsValidationError } from '../errors/settings-validation.error';
import type { SmtpSettingsModuleOptions } from '../options/smtp-settings-options.interface';
import {
  SMTP_SETTINGS_MODULE_OPTIONS,
  SMTP_SETTINGS_SEALER,
} from '../options/smtp-settings.constants';
import { SMTP_SETTINGS_OPTION_DEFAULTS } from '../options/smtp-settings.defaults';
import {
  SmtpSettingsStore,
  type SmtpSettingsHistoryEntry,
  type SmtpSettingsRecord,
} from '../interfaces/smtp-settings-store.interface';
import { UpgradeCenter } from '../interfaces/upgrade-center.interface';
import { requireUpgradeFor } from '../upgrades/require-upgrade';
import { migrateLegacySecret } from './legacy-secret-migration';
import { destinationOf } from './secret-destination';
import { secretFieldOf, secretOf } from './secret-field';
import { changedFields } from './settings-diff';
import { toSettingsView } from './settings-view';
import type { SmtpSettingsChangeEvent } from '../interfaces/smtp-settings-change.interface';
import { settingsWarnings } from './validation/smtp-settings.rules';
import type {
  SealedSmtpSettings,
  SmtpSettings,
  SmtpSettingsState,
} from '../interfaces/smtp-settings.types';
import { validateSmtpSettings } from './validation/validate-smtp-settings';

/** The stored secret of one record, opened once, or why it cannot be. */
interface Opened {
  record: SmtpSettingsRecord;
  result: SmtpSettings | SecretUnsealError;
}

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
  private opened?: Opened;
  private unwatch?: () => void;

  /** Every change, made here or by another process. The live transport rebuilds on it. */
  readonly changes$: Observable<SmtpSettingsChangeEvent> = this.changes.asObservable();

  constructor(
    @Inject(SMTP_SETTINGS_MODULE_OPTIONS) private readonly options: SmtpSettingsModuleOptions,
    @Inject(SmtpSettingsStore) private readonly store: SmtpSettingsStore,
    @Inject(SMTP_SETTINGS_SEALER) private readonly sealer: SecretSealer,
    @Inject(UpgradeCenter) private readonly upgrades: UpgradeCenter,
  ) {
    this.scope = options.scope ?? SMTP_SETTINGS_OPTION_DEFAULTS.scope;
  }

  /** Reads the settings, follows the store, and reseals a secret that 0.1.0 sealed. */
  async onModuleInit(): Promise<void> {
    this.record = await this.store.get(this.scope);
    this.unwatch = this.store.watch?.(this.scope, (version) => void this.follow(version));
    const unwritten = await migrateLegacySecret({
      scope: this.scope,
      store: this.store,
      logger: this.logger,
      current: () => this.record,
      accept: (record, origin) => this.accept(record, origin),
      reseal: (settings) => {
        const field = secretFieldOf(settings.type);
        const plaintext = this.sealer.openLegacy(secretOf(settings) ?? '', field);
        return this.seal({ ...settings, [field]: plaintext } as SmtpSettings);
      },
    });
    if (unwritten) this.record = unwritten;
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
    const problem = this.secretProblem();
    return {
      source: settings ? 'custom' : 'relay',
      version: record?.version ?? 0,
      updatedAt: record?.updatedAt ?? null,
      updatedBy: record?.updatedBy ?? null,
      settings: settings ? toSettingsView(settings, problem === null) : null,
      warnings: settings ? [...settingsWarnings(settings), ...(problem ? [problem] : [])] : [],
    };
  }

  /**
   * The settings with their secrets in plaintext, for the transport only; everything else reads
   * `get()`. `null` means the relay.
   * Throws `DeliveryUnavailableError` ('secret-unavailable') when the stored secret cannot be
   * opened: it is never sent anywhere, and nothing else is sent in its place.
   */
  getWithSecrets(): { version: number; settings: SmtpSettings | null } {
    const record = this.record;
    if (!record?.settings) return { version: record?.version ?? 0, settings: null };
    const result = this.openCurrent(record);
    if (result instanceof SecretUnsealError) {
      throw new DeliveryUnavailableError('secret-unavailable', adminMessageOf(result));
    }
    return { version: record.version, settings: result };
  }

  /**
   * Why the saved settings cannot send, in the admin's words, when their stored secret cannot be
   * opened (the wrong key, or an altered record); `null` when it can, or nothing is saved.
   */
  secretProblem(): string | null {
    const record = this.record;
    if (!record?.settings) return null;
    const result = this.openCurrent(record);
    return result instanceof SecretUnsealError ? adminMessageOf(result) : null;
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
    const before = this.record?.settings ?? null;
    const { settings, secretEntered } = await this.validateAgainst(input, before);
    const record = await this.store.put(
      this.scope,
      this.seal(settings),
      {
        at: new Date().toISOString(),
        by: actor,
        changed: changedFields(before, settings, secretEntered),
        historyLimit: this.options.historyLimit,
      },
      expectedVersion,
    );
    this.accept(record, 'local');
    return this.get();
  }

  /**
   * Validates settings that are not saved (for verify): the same rules and re-entry rule as `update`.
   */
  async validate(input: unknown): Promise<SmtpSettings> {
    return (await this.validateAgainst(input, this.record?.settings ?? null)).settings;
  }

  /** Back to the vendor relay. */
  async reset(actor: string | null, expectedVersion?: number): Promise<SmtpSettingsState> {
    const before = this.record?.settings ?? null;
    const record = await this.store.delete(
      this.scope,
      {
        at: new Date().toISOString(),
        by: actor,
        changed: changedFields(before, null),
        historyLimit: this.options.historyLimit,
      },
      expectedVersion,
    );
    this.accept(record, 'local');
    return this.get();
  }

  /** Newest first: who changed which fields, never their values. */
  history(): Promise<SmtpSettingsHistoryEntry[]> {
    return this.store.history(
      this.scope,
      this.options.historyLimit ?? SMTP_SETTINGS_OPTION_DEFAULTS.historyLimit,
    );
  }

  /**
   * Every problem of the body at once, a missing secret included; then the stored secret is opened,
   * only when the body omits it and may reuse it.
   */
  private async validateAgainst(
    input: unknown,
    stored: SealedSmtpSettings | null,
  ): Promise<{ settings: SmtpSettings; secretEntered: boolean }> {
    const dto = validateSmtpSettings(input, stored);
    await requireUpgradeFor(this.upgrades, dto.type, 'Bearer authentication');
    const field = secretFieldOf(dto.type);
    const given = secretOf(dto);
    if (given !== undefined) {
      return {
        settings: withoutUndefined({ ...dto, [field]: given }) as SmtpSettings,
        secretEntered: true,
      };
    }
    // validateSmtpSettings allowed the reuse, so `stored` has this type and destination.
    let secret: string;
    try {
      secret = this.openSecret(stored!);
    } catch (error) {
      if (!(error instanceof SecretUnsealError)) throw error;
      throw new SettingsValidationError([{ field, message: adminMessageOf(error) }]);
    }
    return {
      settings: withoutUndefined({ ...dto, [field]: secret }) as SmtpSettings,
      secretEntered: false,
    };
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

  /** Opened at most once per record, when first needed. */
  private openCurrent(record: SmtpSettingsRecord): SmtpSettings | SecretUnsealError {
    if (this.opened?.record !== record) {
      let result: SmtpSettings | SecretUnsealError;
      try {
        const settings = record.settings!;
        result = {
          ...settings,
          [secretFieldOf(settings.type)]: this.openSecret(settings),
        } as SmtpSettings;
      } catch (error) {
        if (!(error instanceof SecretUnsealError)) throw error;
        result = error;
      }
      this.opened = { record, result };
    }
    return this.opened.result;
  }

  private seal(settings: SmtpSettings): SealedSmtpSettings {
    const field = secretFieldOf(settings.type);
    const sealed = this.sealer.seal(secretOf(settings)!, this.bindingOf(settings));
    return { ...settings, [field]: sealed } as SealedSmtpSettings;
  }

  private openSecret(settings: SealedSmtpSettings): string {
    return this.sealer.open(secretOf(settings) ?? '', this.bindingOf(settings));
  }

  private bindingOf(settings: SmtpSettings | SealedSmtpSettings) {
    return {
      scope: this.scope,
      field: secretFieldOf(settings.type),
      destination: destinationOf(settings),
    };
  }
}

/** What the admin reads: the cause, and what to do. */
function adminMessageOf(error: SecretUnsealError): string {
  return `the stored ${error.field} cannot be opened (${error.reason}): enter it again in the SMTP settings`;
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
