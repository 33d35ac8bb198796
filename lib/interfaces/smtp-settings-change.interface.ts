/** Emitted after a tenant's settings changed, here or in another process. Carries no settings, so no secrets. */
export interface SmtpSettingsChangeEvent {
  tenant: string;
  version: number;
  source: 'relay' | 'custom';
  /** `local` for a change made through this process, `store` for one another process made. */
  origin: 'local' | 'store';
}

/** Who makes a change, the version it expects (`If-Match`), and the tenant it is for. */
export interface SmtpSettingsChangeOptions {
  actor?: string | null;
  expectedVersion?: number;
  /** @default the module's `defaultTenant` */
  tenant?: string;
}
