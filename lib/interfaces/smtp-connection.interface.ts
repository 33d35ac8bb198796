import type { SmtpSettingsView } from './smtp-settings.types';

/**
 * Which of a tenant's two connections: `main`, the settings of `PUT <path>`, or `backup`, the
 * settings of `PUT <path>/backup` that direct sends fail over to when the main server cannot take
 * a message.
 */
export type SmtpConnectionName = 'main' | 'backup';

/** A tenant's backup connection as an admin may see it: never a secret, masked or not. */
export interface SmtpBackupState {
  /** Grows by one with every change of the backup, its own count (its ETag); 0: never saved. */
  version: number;
  updatedAt: string | null;
  updatedBy: string | null;
  /** `null`: no backup connection is saved. */
  settings: SmtpSettingsView | null;
  warnings: string[];
}

/** `GET <path>/backup` and the answer of its `PUT`: the tenant and its backup connection. */
export type SmtpBackupAdminState = SmtpBackupState & { tenant: string };
