import type { ArgumentsHost } from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChannelMissingError } from '../errors/channel-missing.error';
import { BackupMissingError } from '../errors/backup-missing.error';
import { DeliveryFailedError } from '../errors/delivery-failed.error';
import { DeliveryIncompleteError } from '../errors/delivery-incomplete.error';
import { DeliveryUnavailableError } from '../errors/delivery-unavailable.error';
import { DeliveryUncertainError } from '../errors/delivery-uncertain.error';
import { ExternalContentRefusedError } from '../errors/external-content-refused.error';
import { GraphSendError } from '../errors/graph-send.error';
import { HeaderInjectionError } from '../errors/header-injection.error';
import { InvalidCursorError } from '../errors/invalid-cursor.error';
import { InvalidTenantError } from '../errors/invalid-tenant.error';
import { MessageNotQueueableError } from '../errors/message-not-queueable.error';
import { NotRetryableError } from '../errors/not-retryable.error';
import { OutboxMessageNotFoundError } from '../errors/outbox-message-not-found.error';
import { OutboxNotConfiguredError } from '../errors/outbox-not-configured.error';
import { OutboxRoutesNotConfiguredError } from '../errors/outbox-routes-not-configured.error';
import { OutboxUnavailableError } from '../errors/outbox-unavailable.error';
import { OutboxUncertainError } from '../errors/outbox-uncertain.error';
import { RateLimitedError } from '../errors/rate-limited.error';
import { RecipientLimitExceededError } from '../errors/recipient-limit-exceeded.error';
import { RequestValidationError } from '../errors/request-validation.error';
import { SecretUnsealError } from '../errors/secret-unseal.error';
import { SenderRequiredError } from '../errors/sender-required.error';
import { SettingsValidationError } from '../errors/settings-validation.error';
import { SettingsVersionConflictError } from '../errors/settings-version-conflict.error';
import { SmtpSettingsError, type SmtpSettingsErrorCode } from '../errors/smtp-settings.error';
import { StoreUnavailableError } from '../errors/store-unavailable.error';
import { TenantRequiredError } from '../errors/tenant-required.error';
import { TokenRequestFailedError } from '../errors/token-request-failed.error';
import { UpgradeRequiredError } from '../errors/upgrade-required.error';
import { VerifyFailedError } from '../errors/verify-failed.error';
import type { VerifyResult } from '../interfaces/verify-result.interface';
import { SmtpSettingsExceptionFilter, STATUS_BY_CODE } from './smtp-settings-exception.filter';

/**
 * The HTTP status of every code, written down from what the error classes said before the statuses
 * left them: the contract that the routes answer, checked from outside.
 */
const EXPECTED_STATUS_BY_CODE = {
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
  OUTBOX_NOT_CONFIGURED: 503,
  OUTBOX_UNAVAILABLE: 503,
  OUTBOX_UNCERTAIN: 503,
  MESSAGE_NOT_QUEUEABLE: 400,
  MESSAGE_NOT_FOUND: 404,
  NOT_RETRYABLE: 409,
  INVALID_CURSOR: 400,
} satisfies Record<SmtpSettingsErrorCode, number>;

const VERIFY: VerifyResult = {
  ok: false,
  stage: 'auth',
  code: '535',
  message: 'The server refused the username or password',
  durationMs: 12,
  route: 'custom',
};

/**
 * One error of every class, with the status and code its answer has today. The errors that carry
 * a foreign code (nodemailer's, Graph's, the token endpoint's) answer by class, whatever the code;
 * the send log routes' `OUTBOX_NOT_CONFIGURED` is 404, `enqueue`'s 503.
 */
const CASES: ReadonlyArray<
  readonly [error: () => SmtpSettingsError, status: number, code: string]
> = [
  [
    () => new SettingsValidationError([{ field: 'port', message: 'port is bad' }]),
    400,
    'INVALID_SETTINGS',
  ],
  [
    () => new RequestValidationError([{ field: 'to', message: 'to is bad' }]),
    400,
    'INVALID_REQUEST',
  ],
  [() => new SettingsVersionConflictError(1, 2), 412, 'VERSION_CONFLICT'],
  [() => new StoreUnavailableError('the store is down'), 503, 'STORE_UNAVAILABLE'],
  [() => new SecretUnsealError('password', 'the wrong key'), 503, 'SECRET_UNSEAL_FAILED'],
  [() => new UpgradeRequiredError('smtp-oauth', 'OAuth', 'Bearer'), 403, 'UPGRADE_REQUIRED'],
  [() => new InvalidTenantError('bad tenant'), 400, 'INVALID_TENANT'],
  [() => new TenantRequiredError(), 403, 'TENANT_REQUIRED'],
  [() => new RateLimitedError(3), 429, 'RATE_LIMITED'],
  [() => new VerifyFailedError(VERIFY), 422, 'VERIFY_FAILED'],
  [() => new DeliveryUnavailableError('shut-down', 'shut down'), 503, 'DELIVERY_UNAVAILABLE'],
  [() => new DeliveryUncertainError('the server', new Error('reset')), 502, 'DELIVERY_UNCERTAIN'],
  [
    () => new DeliveryIncompleteError(['a@x.test'], ['b@x.test'], new Error('no')),
    502,
    'PARTIAL_DELIVERY',
  ],
  [() => new ChannelMissingError(), 503, 'NO_SMTP_ROUTE'],
  [() => new BackupMissingError(), 503, 'NO_SMTP_ROUTE'],
  [() => new RecipientLimitExceededError(60, 50), 422, 'RECIPIENT_LIMIT_EXCEEDED'],
  [() => new SenderRequiredError(), 400, 'SENDER_REQUIRED'],
  [() => new HeaderInjectionError('subject'), 400, 'HEADER_INJECTION'],
  [() => new ExternalContentRefusedError('html.path'), 400, 'EXTERNAL_CONTENT_REFUSED'],
  [() => new OutboxNotConfiguredError(), 503, 'OUTBOX_NOT_CONFIGURED'],
  [() => new OutboxRoutesNotConfiguredError(), 404, 'OUTBOX_NOT_CONFIGURED'],
  [() => new OutboxUnavailableError('no answer'), 503, 'OUTBOX_UNAVAILABLE'],
  [() => new OutboxUncertainError('m1', 'no answer'), 503, 'OUTBOX_UNCERTAIN'],
  [() => new MessageNotQueueableError('attachments', 'a stream'), 400, 'MESSAGE_NOT_QUEUEABLE'],
  [() => new OutboxMessageNotFoundError('m1'), 404, 'MESSAGE_NOT_FOUND'],
  [() => new NotRetryableError('m1', 'sent'), 409, 'NOT_RETRYABLE'],
  [() => new InvalidCursorError(), 400, 'INVALID_CURSOR'],
  [
    () => new DeliveryFailedError('refused', 'auth', { code: 'EAUTH', responseCode: 535 }),
    502,
    'EAUTH',
  ],
  [() => new DeliveryFailedError('failed', 'connect', new Error('x')), 502, 'ESEND'],
  [
    () =>
      new GraphSendError('denied', { code: 'ErrorAccessDenied', status: 403, stage: 'mailbox' }),
    502,
    'ErrorAccessDenied',
  ],
  [
    () => new TokenRequestFailedError('AADSTS7000215', 'bad secret', 'clientSecret'),
    502,
    'AADSTS7000215',
  ],
  [() => new TokenRequestFailedError('invalid_grant', 'refused'), 502, 'invalid_grant'],
  [() => new TokenRequestFailedError('MSAL_MISSING', 'install it'), 502, 'MSAL_MISSING'],
];

/** What the filter answers for an error. */
function answer(error: SmtpSettingsError): { status: number; body: Record<string, unknown> } {
  const replies: Array<{ status: number; body: Record<string, unknown> }> = [];
  const adapterHost = {
    httpAdapter: {
      reply: (_res: unknown, body: Record<string, unknown>, status: number) =>
        replies.push({ body, status }),
    },
  } as unknown as HttpAdapterHost;
  const host = { switchToHttp: () => ({ getResponse: () => ({}) }) } as unknown as ArgumentsHost;
  new SmtpSettingsExceptionFilter(adapterHost).catch(error, host);
  expect(replies).toHaveLength(1);
  return replies[0]!;
}

/** The error classes in lib/errors/, by the names their sources export. */
function errorClassesOfTheErrorsFolder(): string[] {
  const folder = join(__dirname, '..', 'errors');
  return readdirSync(folder)
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.spec.ts'))
    .flatMap((file) =>
      [...readFileSync(join(folder, file), 'utf8').matchAll(/export class (\w+)/g)].map(
        (match) => match[1]!,
      ),
    );
}

describe('SmtpSettingsExceptionFilter', () => {
  it.each(
    CASES.map(([make, status, code]) => [make().constructor.name, make, status, code] as const),
  )(
    'answers %s as before: its status, its code, its message and its fields',
    (_, make, status, code) => {
      const error = make();
      const { status: answered, body } = answer(error);
      expect([answered, body.statusCode, body.code]).toEqual([status, status, code]);
      expect(body).toEqual({
        statusCode: status,
        code,
        message: error.message,
        ...error.toResponse(),
      });
      expect(Object.keys(body).slice(0, 3)).toEqual(['statusCode', 'code', 'message']);
      // The error itself knows nothing of HTTP.
      expect(error).not.toHaveProperty('status');
    },
  );

  it('answers every fixed code with the status written down above', () => {
    const byCode = new Map<string, number>();
    for (const [make, status, code] of CASES) {
      const error = make();
      if (error.constructor.name === 'OutboxRoutesNotConfiguredError') continue;
      if (code in EXPECTED_STATUS_BY_CODE) byCode.set(code, status);
    }
    expect(Object.fromEntries(byCode)).toEqual(EXPECTED_STATUS_BY_CODE);
  });

  it('gives every SmtpSettingsErrorCode its status in one table, the statuses written down above', () => {
    expect(STATUS_BY_CODE).toEqual(EXPECTED_STATUS_BY_CODE);
  });

  it("answers an app's own SmtpSettingsError with a code of its own 500, in the same shape", () => {
    class QuotaExceededError extends SmtpSettingsError {
      code = 'APP_QUOTA_EXCEEDED';
    }
    const inherited = Object.assign(new QuotaExceededError('x'), { code: 'toString' });
    for (const error of [new QuotaExceededError('over quota'), inherited]) {
      expect(answer(error)).toEqual({
        status: 500,
        body: { statusCode: 500, code: error.code, message: error.message },
      });
    }
  });

  it('has a case for every error class in lib/errors/', () => {
    const covered = new Set(CASES.map(([make]) => make().constructor.name));
    const missing = errorClassesOfTheErrorsFolder().filter(
      (name) => name !== 'SmtpSettingsError' && !covered.has(name),
    );
    expect(missing).toEqual([]);
  });
});
