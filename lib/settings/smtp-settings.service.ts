import { Inject, Injectable } from '@nestjs/common';
import type { Observable } from 'rxjs';
import type {
  SmtpSettingsChangeEvent,
  SmtpSettingsChangeOptions,
} from '../interfaces/smtp-settings-change.interface';
import type { SmtpSettingsHistoryEntry } from '../interfaces/smtp-settings-store.interface';
import type { SmtpSettingsState } from '../interfaces/smtp-settings.types';
import type { SmtpBackupState } from '../interfaces/smtp-connection.interface';
import { BackupSettings } from './backup-settings';
import { TenantSettings } from './tenant-settings';

/**
 * What admins configure, per tenant, as an app may see and change it: never a secret, masked or
 * not (only the module's own transport opens them). Every method takes the tenant last,
 * `defaultTenant` when left out; an invalid tenant id throws (`INVALID_TENANT`) before anything
 * reaches the store.
 */
@Injectable()
export class SmtpSettingsService {
  // Injected as a property, so that no signature of this class names the internal part.
  @Inject(TenantSettings) private readonly settings!: TenantSettings;
  @Inject(BackupSettings) private readonly backups!: BackupSettings;

  /** The tenant of every call that names none: the `defaultTenant` option, validated. */
  get defaultTenant(): string {
    return this.settings.defaultTenant;
  }

  /** Every change of every tenant, made here or by another process. The live transport follows it. */
  get changes$(): Observable<SmtpSettingsChangeEvent> {
    return this.settings.changes$;
  }

  /**
   * Every change of every tenant's backup connection, here or in another process (`version` is
   * the backup's, `source` is `relay` once it is removed). The outbox follows it: saving a backup
   * releases the tenant's held mail.
   */
  get backupChanges$(): Observable<SmtpSettingsChangeEvent> {
    return this.backups.changes$;
  }

  /** A tenant's settings as an admin may see them: no secret, masked or not. */
  get(tenant?: string): Promise<SmtpSettingsState> {
    return this.settings.get(tenant);
  }

  /**
   * Why a tenant's saved settings cannot send, in the admin's words, when their stored secret
   * cannot be opened (the wrong key, an altered record, or one copied from another tenant); `null`
   * when it can, or nothing is saved.
   */
  secretProblem(tenant?: string): Promise<string | null> {
    return this.settings.secretProblem(tenant);
  }

  /**
   * Validates and saves a tenant's new settings. `input` is untrusted: it is checked field by field
   * (`SettingsValidationError` lists every problem), and an omitted secret reuses the stored one
   * only under the re-entry rule. With `expectedVersion`, a stale version throws
   * `SettingsVersionConflictError` and nothing is written.
   */
  update(input: unknown, options: SmtpSettingsChangeOptions = {}): Promise<SmtpSettingsState> {
    return this.settings.update(input, options);
  }

  /** Back to the vendor relay. */
  reset(options: SmtpSettingsChangeOptions = {}): Promise<SmtpSettingsState> {
    return this.settings.reset(options);
  }

  /**
   * A tenant's changes, newest first: who changed which fields, never their values. The backup
   * connection's entries say `connection: 'backup'` (each connection counts its own versions);
   * at most `historyLimit` entries in all.
   */
  async history(tenant?: string): Promise<SmtpSettingsHistoryEntry[]> {
    const [main, backup] = await Promise.all([
      this.settings.history(tenant),
      this.backups.history(tenant),
    ]);
    if (backup.length === 0) return main;
    const merged = [...main, ...backup].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
    return merged.slice(0, this.settings.historyLimit);
  }

  /** A tenant's backup connection as an admin may see it: no secret, masked or not. */
  getBackup(tenant?: string): Promise<SmtpBackupState> {
    return this.backups.get(tenant);
  }

  /**
   * Validates and saves a tenant's backup connection: the same rules, re-entry rule and upgrade as
   * `update`, with its own version (`expectedVersion` is the backup's).
   */
  updateBackup(input: unknown, options: SmtpSettingsChangeOptions = {}): Promise<SmtpBackupState> {
    return this.backups.update(input, options);
  }

  /** Removes a tenant's backup connection: direct sends then have no failover. */
  resetBackup(options: SmtpSettingsChangeOptions = {}): Promise<SmtpBackupState> {
    return this.backups.reset(options);
  }
}
