/**
 * The stable codes of the module's errors, as `SmtpSettingsError.code` and the HTTP body's `code`
 * carry them. Two errors carry the code of what failed instead: `DeliveryFailedError` nodemailer's
 * (`EAUTH`, `ECONNECTION`, `ETIMEDOUT`, …) or Microsoft Graph's, and `TokenRequestFailedError` the
 * token endpoint's (an Entra ID `AADSTS…` code, an OAuth error such as `invalid_grant`,
 * `MSAL_MISSING`, `GOOGLE_AUTH_MISSING`).
 */
export type SmtpSettingsErrorCode =
  // Settings and tenants
  | 'INVALID_SETTINGS'
  | 'INVALID_REQUEST'
  | 'VERSION_CONFLICT'
  | 'STORE_UNAVAILABLE'
  | 'SECRET_UNSEAL_FAILED'
  | 'UPGRADE_REQUIRED'
  | 'INVALID_TENANT'
  | 'TENANT_REQUIRED'
  // The admin routes' own
  | 'RATE_LIMITED'
  | 'VERIFY_FAILED'
  // Sending
  | 'DELIVERY_UNAVAILABLE'
  | 'DELIVERY_UNCERTAIN'
  | 'PARTIAL_DELIVERY'
  | 'NO_SMTP_ROUTE'
  | 'RECIPIENT_LIMIT_EXCEEDED'
  | 'SENDER_REQUIRED'
  | 'HEADER_INJECTION'
  | 'EXTERNAL_CONTENT_REFUSED'
  // The outbox
  | 'OUTBOX_NOT_CONFIGURED'
  | 'OUTBOX_UNAVAILABLE'
  | 'OUTBOX_UNCERTAIN'
  | 'MESSAGE_NOT_QUEUEABLE'
  | 'MESSAGE_NOT_FOUND'
  | 'NOT_RETRYABLE'
  | 'INVALID_CURSOR';

/**
 * Base class of every domain error the module throws. `code` is stable and machine-readable, and
 * the error knows nothing of HTTP: `SmtpSettingsExceptionFilter` answers it with the status its
 * table gives the code. Messages never contain secrets.
 *
 * Catch this class and branch on `code`; the subclasses that the package exports add fields
 * (`DeliveryFailedError.responseCode`, `RecipientLimitExceededError.limit`, …):
 *
 * ```ts
 * if (error instanceof SmtpSettingsError && error.code === 'NO_SMTP_ROUTE') { ... }
 * ```
 */
export abstract class SmtpSettingsError extends Error {
  /** One of `SmtpSettingsErrorCode`, or the code of what failed (see there). */
  abstract readonly code: SmtpSettingsErrorCode | (string & {});

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }

  /** The error's own fields, as a response adds them beyond `statusCode`, `code` and `message`. */
  toResponse(): Record<string, unknown> {
    return {};
  }
}
