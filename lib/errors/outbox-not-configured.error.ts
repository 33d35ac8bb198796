import { SmtpSettingsError } from './smtp-settings.error';

/** `enqueue` was called, but the module has no `outbox` option. */
export class OutboxNotConfiguredError extends SmtpSettingsError {
  readonly code = 'OUTBOX_NOT_CONFIGURED';

  constructor(
    message = 'The outbox is not configured: give SmtpSettingsModule the outbox option (a Redis or PostgreSQL connection) to enqueue mail, or use send()',
  ) {
    super(message);
  }
}
