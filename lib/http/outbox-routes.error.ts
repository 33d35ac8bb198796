import { SmtpSettingsError } from '../errors/smtp-settings.error';

/**
 * An outbox route of an app without the `outbox` option: 404, since there is no send log to read.
 * (The routes are registered before the options are known, so they exist and answer this.)
 */
export class OutboxRoutesNotConfiguredError extends SmtpSettingsError {
  readonly code = 'OUTBOX_NOT_CONFIGURED';
  readonly status = 404;

  constructor() {
    super(
      'This app has no outbox: the send log exists only with the outbox option of SmtpSettingsModule',
    );
  }
}
