import type { SmtpSettings } from './smtp-settings.types';

/** The names of the fields that differ; secrets are compared but only their names are reported. */
export function changedFields(before: SmtpSettings | null, after: SmtpSettings | null): string[] {
  const a = (before ?? {}) as Record<string, unknown>;
  const b = (after ?? {}) as Record<string, unknown>;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((key) => a[key] !== b[key]).sort();
}
