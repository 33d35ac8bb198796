import type { Logger } from '@nestjs/common';
import { isLegacySealedSecret } from '../crypto/secret-sealer';
import { SecretUnsealError } from '../errors/secret-unseal.error';
import { SettingsVersionConflictError } from '../errors/settings-version-conflict.error';
import type {
  SmtpSettingsRecord,
  SmtpSettingsStore,
} from '../interfaces/smtp-settings-store.interface';
import { secretFieldOf, secretOf } from './secret-field';
import type { SealedSmtpSettings } from '../interfaces/smtp-settings.types';
import type { ProviderSettingsList } from './provider-settings.interface';

/** Who wrote a 0.1.0 secret again as v2, in the history. */
export const MIGRATION_ACTOR = 'nest-smtp-settings (migration)';
/** Replicas that start together race to migrate; each conflict means another one wrote first. */
const ATTEMPTS = 3;

export interface LegacySecretMigration {
  /** The tenant, validated. */
  tenant: string;
  store: SmtpSettingsStore;
  logger: Pick<Logger, 'log' | 'warn' | 'error'>;
  /** Where each kind of settings keeps its secret. */
  providers: ProviderSettingsList;
  /** The record the service holds now. */
  current(): SmtpSettingsRecord | null;
  /** Takes a newer record, written here or found in the store. */
  accept(record: SmtpSettingsRecord, origin: 'local' | 'store'): void;
  /** Opens a 0.1.0 secret and seals it again, bound to these settings; throws `SecretUnsealError`. */
  reseal(settings: SealedSmtpSettings): SealedSmtpSettings;
}

/**
 * Reseals a secret sealed by 0.1.0 (bound to its field name only) as v2, bound to the record as
 * found and to its tenant: that record is trusted, as 0.1.0 trusted it. It runs when a
 * tenant's record is first loaded (the default tenant's at start-up), since 0.1.0 wrote only that
 * one and a store cannot list its tenants. Written back once, with `expectedVersion`:
 * a conflict means another replica (or an admin) wrote first, so the record is read again.
 *
 * Returns the record to use from memory when the store refused the write for another reason; the
 * next start writes it (the first use of the tenant after it).
 */
export async function migrateLegacySecret(
  migration: LegacySecretMigration,
): Promise<SmtpSettingsRecord | undefined> {
  const { tenant, store, logger, providers } = migration;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const record = migration.current();
    const settings = record?.settings;
    if (!record || !settings || !isLegacySealedSecret(secretOf(settings, providers))) {
      return undefined;
    }
    const field = secretFieldOf(settings, providers);
    let migrated: SealedSmtpSettings;
    try {
      migrated = migration.reseal(settings);
    } catch (error) {
      if (!(error instanceof SecretUnsealError)) throw error;
      logger.warn(`Could not migrate the SMTP settings of tenant ${tenant}: ${error.message}`);
      return undefined;
    }
    try {
      const written = await store.put(
        tenant,
        migrated,
        { at: new Date().toISOString(), by: MIGRATION_ACTOR, changed: [] },
        record.version,
      );
      logger.log(
        `Resealed the stored ${field} of tenant ${tenant} in the 0.2.0 format (version ${written.version})`,
      );
      migration.accept(written, 'local');
      return undefined;
    } catch (error) {
      if (!(error instanceof SettingsVersionConflictError)) {
        logger.error(
          `Could not write the resealed ${field} of tenant ${tenant}; it is used from memory and written at the next start: ${(error as Error).message}`,
        );
        return { ...record, settings: migrated };
      }
      const latest = await store.get(tenant);
      if (latest) migration.accept(latest, 'store');
    }
  }
  return undefined;
}
