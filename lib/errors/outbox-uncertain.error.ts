import { SmtpSettingsError } from './smtp-settings.error';

/**
 * The outbox's store took the write but did not answer in time (or the connection broke after the
 * write was sent): the message may have been queued, as `id`. Enqueueing it again with the same
 * `idempotencyKey` is safe: the key names the same message, which is queued and sent at most once.
 */
export class OutboxUncertainError extends SmtpSettingsError {
  readonly code = 'OUTBOX_UNCERTAIN';

  constructor(
    readonly id: string,
    detail: string,
    override readonly cause?: unknown,
  ) {
    super(
      `The outbox's store did not confirm the write, so message ${id} may have been queued (${detail}): enqueue it again with the same idempotencyKey, which queues and sends it at most once, or look it up by its id before sending it again`,
    );
  }

  override toResponse(): Record<string, unknown> {
    return { id: this.id };
  }
}
