import { SettingsValidationError } from '../errors/settings-validation.error';

/**
 * Reads the version out of `If-Match: "7"` (weak `W/"7"` and `*` accepted). `undefined` means the
 * client did not ask for a conditional write.
 */
export function parseIfMatch(header: unknown): number | undefined {
  if (header === undefined || header === null || header === '' || header === '*') return undefined;
  const match = typeof header === 'string' ? /^\s*(?:W\/)?"(\d{1,15})"\s*$/.exec(header) : null;
  if (!match) {
    throw new SettingsValidationError([
      {
        field: 'If-Match',
        message: 'If-Match must be the ETag of GET /smtp-settings, such as "7"',
      },
    ]);
  }
  return Number(match[1]);
}

export function etagOf(version: number): string {
  return `"${version}"`;
}
