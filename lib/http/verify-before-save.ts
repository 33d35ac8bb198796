import { parseIfMatch } from './if-match';
import { RequestValidationError } from '../errors/request-validation.error';
import { SettingsVersionConflictError } from '../errors/settings-version-conflict.error';
import { VerifyFailedError } from '../errors/verify-failed.error';
import type { SmtpSettingsInput } from '../interfaces/smtp-settings-input.interface';
import type { MailerService } from '../mailer/mailer.service';
import type { SmtpConnectionName } from '../interfaces/smtp-connection.interface';

/** The main settings (`TenantSettings`) or the backup connection (`BackupSettings`). */
interface VersionedSettings {
  validate(input: unknown, tenant: string): Promise<unknown>;
  get(tenant: string): Promise<{ version: number }>;
}

/** `PUT ?verify=`: `true` checks before saving; `false` or none saves as before; nothing else. */
export function parseVerifyQuery(value: unknown): boolean {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw new RequestValidationError([{ field: 'verify', message: 'verify must be true or false' }]);
}

/** Whether a request asks to check before saving: such a PUT spends the admin-actions budget. */
export function asksToVerify(req: { query?: unknown }): boolean {
  const query = req.query as Record<string, unknown> | undefined;
  return query?.['verify'] === 'true';
}

/**
 * What `PUT ?verify=true` does before it saves: the body is validated as PUT validates it (the same
 * 400s), a stale If-Match is refused (412) without reaching out, and then the body is checked as
 * `POST verify` checks an unsaved body. A failed check throws `VerifyFailedError` (422), and
 * nothing is saved.
 */
export async function verifyBeforeSave(
  parts: { settings: VersionedSettings; mailer: MailerService },
  body: unknown,
  tenant: string,
  expectedVersion: number | undefined,
  connection: SmtpConnectionName = 'main',
): Promise<void> {
  await parts.settings.validate(body, tenant);
  if (expectedVersion !== undefined) {
    // Only a version this process already knows is newer: a lagging copy here never refuses a
    // save, which the store still checks when it writes.
    const { version } = await parts.settings.get(tenant);
    if (version > expectedVersion) throw new SettingsVersionConflictError(expectedVersion, version);
  }
  // Untrusted until validated: verify() validates it again, on the verify route's own path.
  const result = await parts.mailer.verify(body as SmtpSettingsInput, { tenant, connection });
  if (!result.ok) throw new VerifyFailedError(result);
}

/** A save request as `PUT <path>` and `PUT <path>/backup` receive it. */
export interface SaveRequest {
  body: unknown;
  verify: unknown;
  ifMatch: unknown;
  tenant: string;
}

/**
 * What both saves do: read `?verify=` and If-Match (400 on anything else), check first when asked
 * (`verifyBeforeSave`), then `save` with the version the client expects.
 */
export async function checkedSave<T>(
  parts: { settings: VersionedSettings; mailer: MailerService },
  request: SaveRequest,
  connection: SmtpConnectionName,
  save: (expectedVersion: number | undefined) => Promise<T>,
): Promise<T> {
  const check = parseVerifyQuery(request.verify);
  const expectedVersion = parseIfMatch(request.ifMatch);
  if (check) {
    await verifyBeforeSave(parts, request.body, request.tenant, expectedVersion, connection);
  }
  return save(expectedVersion);
}
