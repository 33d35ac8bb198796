import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { DeliveryFailedError } from '../errors/delivery-failed.error';
import { OutboxRoutesNotConfiguredError } from '../errors/outbox-routes-not-configured.error';
import { SmtpSettingsError, type SmtpSettingsErrorCode } from '../errors/smtp-settings.error';
import { TokenRequestFailedError } from '../errors/token-request-failed.error';

/**
 * The HTTP status of every stable code: the one table. The compiler refuses a code without one.
 * 503 is "the product cannot do it now" (its configuration or a store), 502 "a server it talks to
 * failed", 403 "this caller may not" (TENANT_REQUIRED: authenticated, but no tenant the server can
 * name; UPGRADE_REQUIRED: the upgrade is not installed).
 */
export const STATUS_BY_CODE: Readonly<Record<SmtpSettingsErrorCode, number>> = {
  INVALID_SETTINGS: 400,
  INVALID_REQUEST: 400,
  VERSION_CONFLICT: 412,
  STORE_UNAVAILABLE: 503,
  SECRET_UNSEAL_FAILED: 503,
  UPGRADE_REQUIRED: 403,
  INVALID_TENANT: 400,
  TENANT_REQUIRED: 403,
  RATE_LIMITED: 429,
  VERIFY_FAILED: 422,
  DELIVERY_UNAVAILABLE: 503,
  DELIVERY_UNCERTAIN: 502,
  PARTIAL_DELIVERY: 502,
  NO_SMTP_ROUTE: 503,
  RECIPIENT_LIMIT_EXCEEDED: 422,
  SENDER_REQUIRED: 400,
  HEADER_INJECTION: 400,
  EXTERNAL_CONTENT_REFUSED: 400,
  // `enqueue` without an outbox; the send log routes answer this code 404 (STATUS_BY_CLASS).
  OUTBOX_NOT_CONFIGURED: 503,
  OUTBOX_UNAVAILABLE: 503,
  OUTBOX_UNCERTAIN: 503,
  MESSAGE_NOT_QUEUEABLE: 400,
  MESSAGE_NOT_FOUND: 404,
  NOT_RETRYABLE: 409,
  INVALID_CURSOR: 400,
};

/**
 * The errors whose class decides the status before the code does, first match first:
 * - `OutboxRoutesNotConfiguredError` has `enqueue`'s code, `OUTBOX_NOT_CONFIGURED`, but on the
 *   send log routes it is 404: there is no send log to read (`enqueue` without an outbox is 503);
 * - `DeliveryFailedError` (and `GraphSendError`, which extends it) and `TokenRequestFailedError`
 *   carry the code of what failed (nodemailer's, Microsoft Graph's, the token endpoint's), which no
 *   table can list: a server the module talks to failed, 502.
 */
const STATUS_BY_CLASS: ReadonlyArray<
  readonly [type: abstract new (...args: never[]) => SmtpSettingsError, status: number]
> = [
  [OutboxRoutesNotConfiguredError, 404],
  [DeliveryFailedError, 502],
  [TokenRequestFailedError, 502],
];

/** An error of the app's own that extends `SmtpSettingsError` with a code of its own. */
const UNKNOWN_CODE_STATUS = 500;

/** The status `SmtpSettingsExceptionFilter` answers an error with. */
export function statusOf(error: SmtpSettingsError): number {
  const byClass = STATUS_BY_CLASS.find(([type]) => error instanceof type);
  if (byClass) return byClass[1];
  return Object.hasOwn(STATUS_BY_CODE, error.code)
    ? STATUS_BY_CODE[error.code as SmtpSettingsErrorCode]
    : UNKNOWN_CODE_STATUS;
}

/**
 * The one place where domain errors become HTTP responses; no route maps them by hand. The body is
 * `{ statusCode, code, message }` and the error's own fields (`toResponse()`).
 */
@Catch(SmtpSettingsError)
export class SmtpSettingsExceptionFilter implements ExceptionFilter<SmtpSettingsError> {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(error: SmtpSettingsError, host: ArgumentsHost): void {
    const status = statusOf(error);
    const body = {
      statusCode: status,
      code: error.code,
      message: error.message,
      ...error.toResponse(),
    };
    this.adapterHost.httpAdapter.reply(host.switchToHttp().getResponse(), body, status);
  }
}
