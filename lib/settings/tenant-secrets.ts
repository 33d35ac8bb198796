import type { SecretSealer } from '../crypto/secret-sealer';
import { SecretUnsealError } from '../errors/secret-unseal.error';
import type { SmtpSettingsRecord } from '../interfaces/smtp-settings-store.interface';
import type { SealedSmtpSettings, SmtpSettings } from '../interfaces/smtp-settings.types';
import { certificateDigest } from '../crypto/x509-certificate';
import { destinationOf } from './secret-destination';
import { hasClientCertificate, secretFieldOf, secretOf, withSecret } from './secret-field';
import type { ProviderSettingsList } from './provider-settings.interface';

/**
 * Seals and opens the secrets of a tenant's settings, bound to the tenant (the store's key), the
 * field and the destination: a record copied into another tenant's place does not open.
 */
export class TenantSecrets {
  /** Each record is opened at most once, when first needed; a replaced record is forgotten. */
  private readonly opened = new WeakMap<SmtpSettingsRecord, SmtpSettings | SecretUnsealError>();

  constructor(
    private readonly sealer: SecretSealer,
    readonly providers: ProviderSettingsList,
  ) {}

  /** The record's settings in plaintext, or why its secret cannot be opened; `null`: the relay. */
  openRecord(tenant: string, record: SmtpSettingsRecord): SmtpSettings | SecretUnsealError | null {
    const settings = record.settings;
    if (!settings) return null;
    let result = this.opened.get(record);
    if (!result) {
      try {
        result = withSecret<SmtpSettings>(settings, this.open(tenant, settings), this.providers);
      } catch (error) {
        if (!(error instanceof SecretUnsealError)) throw error;
        result = error;
      }
      this.opened.set(record, result);
    }
    return result;
  }

  seal(tenant: string, settings: SmtpSettings): SealedSmtpSettings {
    const binding = bindingOf(tenant, settings, this.providers);
    const sealed = this.sealer.seal(secretOf(settings, this.providers)!, binding);
    return withSecret<SealedSmtpSettings>(settings, sealed, this.providers);
  }

  /** Throws `SecretUnsealError`. */
  open(tenant: string, settings: SealedSmtpSettings): string {
    const binding = bindingOf(tenant, settings, this.providers);
    return this.sealer.open(secretOf(settings, this.providers) ?? '', binding);
  }

  /** Opens a 0.1.0 secret and seals it again as v2, bound to the tenant; throws `SecretUnsealError`. */
  reseal(tenant: string, settings: SealedSmtpSettings): SealedSmtpSettings {
    const { providers } = this;
    const field = secretFieldOf(settings, providers);
    const plaintext = this.sealer.openLegacy(secretOf(settings, providers) ?? '', field);
    return this.seal(tenant, withSecret<SmtpSettings>(settings, plaintext, providers));
  }
}

/**
 * A certificate's key is bound to the certificate too: a key moved under another certificate (or a
 * certificate altered in the store) does not open.
 */
function bindingOf(
  tenant: string,
  settings: SmtpSettings | SealedSmtpSettings,
  providers: ProviderSettingsList,
) {
  const destination = destinationOf(settings, providers);
  if (hasClientCertificate(settings, providers)) {
    const { certificate } = (settings as { clientCertificate: { certificate?: unknown } })
      .clientCertificate;
    destination.certificate = certificateDigest(String(certificate));
  }
  return { tenant, field: secretFieldOf(settings, providers), destination };
}
