import { SmtpSettingsError } from './smtp-settings.error';

/**
 * Too many `verify`, `test-email` or `PUT ?verify=true` requests by one admin of a tenant (the
 * module option `adminActionsRateLimit`): nothing reached out. The wait is in the message, in words.
 */
export class RateLimitedError extends SmtpSettingsError {
  readonly code = 'RATE_LIMITED';

  constructor(readonly retryAfterSeconds: number) {
    const unit = retryAfterSeconds === 1 ? 'second' : 'seconds';
    super(`Too many connection checks and test emails: try again in ${retryAfterSeconds} ${unit}`);
  }
}
