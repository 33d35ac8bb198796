import type { SealedSmtpSettings, SmtpSettings } from '../interfaces/smtp-settings.types';

/** The credential fields: a certificate counts as one, since its key is in it. */
const SECRETS = new Set(['password', 'clientSecret', 'privateKey', 'clientCertificate']);

/**
 * The names of the fields that differ, never their values. Secrets are not opened to compare them:
 * a secret counts as changed when the admin entered one, or when it appears or disappears.
 */
export function changedFields(
  before: SealedSmtpSettings | null,
  after: SmtpSettings | null,
  secretEntered = false,
): string[] {
  const a = (before ?? {}) as Record<string, unknown>;
  const b = (after ?? {}) as Record<string, unknown>;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys]
    .filter((key) =>
      SECRETS.has(key) ? secretEntered || key in a !== key in b : a[key] !== b[key],
    )
    .sort();
}
