import { Inject, Injectable } from '@nestjs/common';
import type { Observable } from 'rxjs';
import type {
  SmtpSettingsChangeEvent,
  SmtpSettingsChangeOptions,
} from '../interfaces/smtp-settings-change.interface';
import type { SmtpSettingsHistoryEntry } from '../interfaces/smtp-settings-store.interface';
import type { SmtpSettingsState } from '../interfaces/smtp-settings.types';
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

  /** The tenant of every call that names none: the `defaultTenant` option, validated. */
  get defaultTenant(): string {
    return this.settings.defaultTenant;
  }

  /** Every change of every tenant, made here or by another process. The live transport follows it. */
  get changes$(): Observable<SmtpSettingsChangeEvent> {
    return this.settings.changes$;
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

  /** A tenant's changes, newest first: who changed which fields, never their values. */
  history(tenant?: string): Promise<SmtpSettingsHistoryEntry[]> {
    return this.settings.history(tenant);
  }
}
