import { SmtpSettingsError } from './smtp-settings.error';

/** `enqueue` (or an outbox route) was called, but the module has no `outbox` option. */
export class OutboxNotConfiguredError extends SmtpSettingsError {
  readonly code = 'OUTBOX_NOT_CONFIGURED';
  readonly status = 503;

  constructor() {
    super(
      'The outbox is not configured: give SmtpSettingsModule the outbox option (a Redis or PostgreSQL connection) to enqueue mail, or use send()',
    );
  }
}
