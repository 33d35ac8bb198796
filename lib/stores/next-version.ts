import { SettingsVersionConflictError } from '../errors/settings-version-conflict.error';
import type { SealedSmtpSettings } from '../interfaces/smtp-settings.types';
import type {
  SmtpSettingsAction,
  SmtpSettingsChange,
  SmtpSettingsHistoryEntry,
  SmtpSettingsRecord,
} from '../interfaces/smtp-settings-store.interface';

/**
 * The record and history after one change, for stores that write both together. Checks the
 * expected version first, so that a stale write throws before anything is built or written.
 */
export function nextVersion(
  tenant: string,
  action: SmtpSettingsAction,
  settings: SealedSmtpSettings | null,
  change: SmtpSettingsChange,
  current: { version: number; history: SmtpSettingsHistoryEntry[] } | undefined,
  expectedVersion: number | undefined,
  historyLimit: number,
): { record: SmtpSettingsRecord; history: SmtpSettingsHistoryEntry[] } {
  const currentVersion = current?.version ?? 0;
  if (expectedVersion !== undefined && expectedVersion !== currentVersion) {
    throw new SettingsVersionConflictError(expectedVersion, currentVersion);
  }
  const version = currentVersion + 1;
  const { at, by } = change;
  const record = {
    tenant,
    version,
    updatedAt: at,
    updatedBy: by,
    settings: structuredClone(settings),
  };
  const entry = { version, at, by, action, changed: [...change.changed] };
  return { record, history: [entry, ...(current?.history ?? [])].slice(0, historyLimit) };
}
