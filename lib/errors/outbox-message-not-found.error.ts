import { SmtpSettingsError } from './smtp-settings.error';

/** No message with that id in the tenant's send log (another tenant's ids are never revealed). */
export class OutboxMessageNotFoundError extends SmtpSettingsError {
  readonly code = 'MESSAGE_NOT_FOUND';

  constructor(readonly id: string) {
    super(`No message ${id} in the send log`);
  }

  override toResponse(): Record<string, unknown> {
    return { id: this.id };
  }
}
