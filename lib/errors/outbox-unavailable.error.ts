import { SmtpSettingsError } from './smtp-settings.error';

/**
 * The outbox's store (Redis or PostgreSQL) cannot take or give a message now: nothing was queued.
 * Never a silent drop: the caller still has the message and may try again.
 */
export class OutboxUnavailableError extends SmtpSettingsError {
  readonly code = 'OUTBOX_UNAVAILABLE';

  constructor(
    detail: string,
    override readonly cause?: unknown,
  ) {
    super(`The outbox cannot be reached, so nothing was queued: ${detail}`);
  }
}
