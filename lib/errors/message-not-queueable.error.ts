import { SmtpSettingsError } from './smtp-settings.error';

/** A message the outbox cannot store as it is (a stream, a function): nothing was queued. */
export class MessageNotQueueableError extends SmtpSettingsError {
  readonly code = 'MESSAGE_NOT_QUEUEABLE';

  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`This message cannot be queued: ${reason} (${field})`);
  }

  override toResponse(): Record<string, unknown> {
    return { field: this.field };
  }
}
