import type { OutboxStatus } from '../interfaces/outbox.interface';
import { SmtpSettingsError } from './smtp-settings.error';

/** Only a failed, uncertain or held message can be retried from the send log. */
export class NotRetryableError extends SmtpSettingsError {
  readonly code = 'NOT_RETRYABLE';

  constructor(
    readonly id: string,
    readonly outboxStatus: OutboxStatus,
    reason = 'only a failed, uncertain or held message can be retried',
  ) {
    super(`Message ${id} is ${outboxStatus}: ${reason}`);
  }

  override toResponse(): Record<string, unknown> {
    return { id: this.id, outboxStatus: this.outboxStatus };
  }
}
