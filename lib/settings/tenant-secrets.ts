import type { SecretSealer } from '../crypto/secret-sealer';
import { SecretUnsealError } from '../errors/secret-unseal.error';
import type { SmtpSettingsRecord } from '../interfaces/smtp-settings-store.interface';
import type { SealedSmtpSettings, SmtpSettings } from '../interfaces/smtp-settings.types';
import { destinationOf } from './secret-destination';
import { secretFieldOf, secretOf } from './secret-field';

/**
 * Seals and opens the secrets of a tenant's settings, bound to the tenant (the store's scope), the
 * field and the destination: a record copied into another tenant's place does not open.
 */
export class TenantSecrets {
  /** Each record is opened at most once, when first needed; a replaced record is forgotten. */
  private readonly opened = new WeakMap<SmtpSettingsRecord, SmtpSettings | SecretUnsealError>();

  constructor(private readonly sealer: SecretSealer) {}

  /** The record's settings in plaintext, or why its secret cannot be opened; `null`: the relay. */
  openRecord(tenant: string, record: SmtpSettingsRecord): SmtpSettings | SecretUnsealError | null {
    const settings = record.settings;
    if (!settings) return null;
    let result = this.opened.get(record);
    if (!result) {
      try {
        result = {
          ...settings,
          [secretFieldOf(settings)]: this.open(tenant, settings),
        } as SmtpSettings;
      } catch (error) {
        if (!(error instanceof SecretUnsealError)) throw error;
        result = error;
      }
      this.opened.set(record, result);
    }
    return result;
  }

  seal(tenant: string, settings: SmtpSettings): SealedSmtpSettings {
    const field = secretFieldOf(settings);
    const sealed = this.sealer.seal(secretOf(settings)!, bindingOf(tenant, settings));
    return { ...settings, [field]: sealed } as SealedSmtpSettings;
  }

  /** Throws `SecretUnsealError`. */
  open(tenant: string, settings: SealedSmtpSettings): string {
    return this.sealer.open(secretOf(settings) ?? '', bindingOf(tenant, settings));
  }

  /** Opens a 0.1.0 secret and seals it again as v2, bound to the tenant; throws `SecretUnsealError`. */
  reseal(tenant: string, settings: SealedSmtpSettings): SealedSmtpSettings {
    const field = secretFieldOf(settings);
    const plaintext = this.sealer.openLegacy(secretOf(settings) ?? '', field);
    return this.seal(tenant, { ...settings, [field]: plaintext } as SmtpSettings);
  }
}

function bindingOf(tenant: string, settings: SmtpSettings | SealedSmtpSettings) {
  return {
    scope: tenant,
    field: secretFieldOf(settings),
    destination: destinationOf(settings),
  };
}
