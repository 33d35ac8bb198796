import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SmtpSettingsErrorCode } from './smtp-settings.error';

/** Every member of `SmtpSettingsErrorCode` once: the compiler refuses a missing or an extra one. */
const CODES = {
  INVALID_SETTINGS: true,
  INVALID_REQUEST: true,
  VERSION_CONFLICT: true,
  STORE_UNAVAILABLE: true,
  SECRET_UNSEAL_FAILED: true,
  UPGRADE_REQUIRED: true,
  INVALID_TENANT: true,
  TENANT_REQUIRED: true,
  RATE_LIMITED: true,
  VERIFY_FAILED: true,
  DELIVERY_UNAVAILABLE: true,
  DELIVERY_UNCERTAIN: true,
  PARTIAL_DELIVERY: true,
  NO_SMTP_ROUTE: true,
  RECIPIENT_LIMIT_EXCEEDED: true,
  SENDER_REQUIRED: true,
  HEADER_INJECTION: true,
  EXTERNAL_CONTENT_REFUSED: true,
  OUTBOX_NOT_CONFIGURED: true,
  OUTBOX_UNAVAILABLE: true,
  OUTBOX_UNCERTAIN: true,
  MESSAGE_NOT_QUEUEABLE: true,
  MESSAGE_NOT_FOUND: true,
  NOT_RETRYABLE: true,
  INVALID_CURSOR: true,
} satisfies Record<SmtpSettingsErrorCode, true>;

/** The fixed codes of the error classes in this folder, as their sources declare them. */
function declaredCodes(): string[] {
  return readdirSync(__dirname)
    .filter((file) => file.endsWith('.error.ts'))
    .flatMap((file) =>
      [...readFileSync(join(__dirname, file), 'utf8').matchAll(/readonly code = '([A-Z_]+)'/g)].map(
        (match) => match[1]!,
      ),
    );
}

describe('SmtpSettingsErrorCode', () => {
  it('lists the code of every error that has a fixed one, and no other, so apps can match on it', () => {
    expect([...new Set(declaredCodes())].sort()).toEqual(Object.keys(CODES).sort());
  });
});
