import type { SmtpSettingsRecord } from '../interfaces/smtp-settings-store.interface';

/**
 * The records of the tenants read so far, each read from the store on its first use and kept: a
 * tenant that is never used costs nothing. Concurrent first reads of a tenant share one load.
 */
export class TenantRecords {
  private readonly records = new Map<string, SmtpSettingsRecord | null>();
  private readonly loading = new Map<string, Promise<SmtpSettingsRecord | null>>();

  /** @param load reads a tenant's record from the store (and migrates it); a failure is not kept. */
  constructor(private readonly load: (tenant: string) => Promise<SmtpSettingsRecord | null>) {}

  /** How many tenants are loaded. */
  get size(): number {
    return this.records.size;
  }

  /** The tenant's record, loaded on first use. */
  get(tenant: string): Promise<SmtpSettingsRecord | null> {
    if (this.records.has(tenant)) return Promise.resolve(this.records.get(tenant)!);
    let pending = this.loading.get(tenant);
    if (!pending) {
      pending = this.load(tenant)
        .then((record) => {
          this.records.set(tenant, record);
          return record;
        })
        .finally(() => this.loading.delete(tenant));
      this.loading.set(tenant, pending);
    }
    return pending;
  }

  /**
   * The record of a tenant that is loaded, after a load in flight; `undefined` for a tenant never
   * loaded, whose next use reads the store anyway.
   */
  async loaded(tenant: string): Promise<SmtpSettingsRecord | null | undefined> {
    await this.loading.get(tenant)?.catch(() => undefined);
    return this.records.get(tenant);
  }

  /**
   * Takes a newer record of a loaded tenant, written here or found in the store. Writes and reloads
   * can finish out of order; versions only grow, so the highest one wins. Returns whether it was taken.
   */
  accept(tenant: string, record: SmtpSettingsRecord): boolean {
    if (!this.records.has(tenant)) return false;
    const current = this.records.get(tenant);
    if (current && record.version <= current.version) return false;
    this.records.set(tenant, record);
    return true;
  }
}
