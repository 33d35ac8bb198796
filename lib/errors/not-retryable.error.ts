import type { OutboxStatus } from '../interfaces/outbox.interface';
import { SmtpSettingsError } from './smtp-settings.error';

/** Only a failed, uncertain or held message can be retried from the send log. */
export class NotRetryableError extends SmtpSettingsError {
  readonly code = 'NOT_RETRYABLE';
  readonly status = 409;

  constructor(
    readonly id: string,
    readonly outboxStatus: OutboxStatus,
  ) {
    super(
      `Message ${id} is ${outboxStatus}: only a failed, uncertain or held message can be retried`,
    );
  }

  override toResponse(): Record<string, unknown> {
    return { id: this.id, outboxStatus: this.outboxStatus };
  }
}
