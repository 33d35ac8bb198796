import type { SmtpSettingsRecord } from '../interfaces/smtp-settings-store.interface';

/** Where the records come from, and who hears of newer ones. */
export interface TenantRecordsSource {
  /** A tenant's first read (with its migration); a failure is not kept, the next use tries again. */
  load(tenant: string): Promise<SmtpSettingsRecord | null>;
  /** Reads a tenant again, after another process changed it. */
  reload(tenant: string): Promise<SmtpSettingsRecord | null>;
  /** A newer record that a reload found. */
  reloaded(tenant: string, record: SmtpSettingsRecord): void;
  /** A reload that failed: the record in memory stays until the next change. */
  reloadFailed(tenant: string, error: unknown): void;
}

/**
 * The records of the tenants read so far, each read from the store on its first use and kept: a
 * tenant that is never used costs nothing. Concurrent first reads of a tenant share one load, and
 * a change that another process made reloads only that tenant.
 */
export class TenantRecords {
  private readonly records = new Map<string, SmtpSettingsRecord | null>();
  private readonly loading = new Map<string, Promise<SmtpSettingsRecord | null>>();
  private readonly reloads = new Map<string, Promise<void>>();

  constructor(private readonly source: TenantRecordsSource) {}

  /** The tenant's record when it was read already (`null`: none saved); `undefined` when not yet. */
  peek(tenant: string): SmtpSettingsRecord | null | undefined {
    return this.records.get(tenant);
  }

  /** The tenant's record, loaded on first use. */
  get(tenant: string): Promise<SmtpSettingsRecord | null> {
    if (this.records.has(tenant)) return Promise.resolve(this.records.get(tenant)!);
    let pending = this.loading.get(tenant);
    if (!pending) {
      pending = this.source
        .load(tenant)
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
   * Another process brought a tenant to `version`. A tenant never loaded here is left alone (its
   * first use reads the store); a loaded one is read again when it is behind. One reload per
   * tenant at a time: a burst of notifications reads it once or twice, not once each.
   */
  follow(tenant: string, version: number): void {
    // Most of a catch-up's thousands of tenants were never used here: nothing to schedule.
    if (!this.records.has(tenant) && !this.loading.has(tenant)) return;
    const next = (this.reloads.get(tenant) ?? Promise.resolve()).then(() =>
      this.reload(tenant, version),
    );
    this.reloads.set(tenant, next);
    void next.then(() => this.reloads.get(tenant) === next && this.reloads.delete(tenant));
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

  private async reload(tenant: string, version: number): Promise<void> {
    try {
      // A load in flight may have read the store before this change.
      await this.loading.get(tenant)?.catch(() => undefined);
      if (!this.records.has(tenant) || version <= (this.records.get(tenant)?.version ?? 0)) return;
      const record = await this.source.reload(tenant);
      if (record && this.accept(tenant, record)) this.source.reloaded(tenant, record);
    } catch (error) {
      this.source.reloadFailed(tenant, error);
    }
  }
}
