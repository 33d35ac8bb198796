import { SmtpSettingsError } from './smtp-settings.error';

/** A message without a sender on a route that has no default one. Raised before anything is sent. */
export class SenderRequiredError extends SmtpSettingsError {
  readonly code = 'SENDER_REQUIRED';
  readonly field = 'from';

  constructor() {
    super(
      'This message has no sender: set its from address, or configure the relay option from of SmtpSettingsModule so that messages without one get a default sender.',
    );
  }

  override toResponse() {
    return { field: this.field };
  }
}
