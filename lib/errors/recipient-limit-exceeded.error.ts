import { SmtpSettingsError } from './smtp-settings.error';

/** A message for the relay with more recipients than it allows. Raised before anything is sent. */
export class RecipientLimitExceededError extends SmtpSettingsError {
  readonly code = 'RECIPIENT_LIMIT_EXCEEDED';
  readonly status = 422;

  constructor(
    readonly count: number,
    readonly limit: number,
  ) {
    super(
      `This message has ${count} recipients, but the default mail relay accepts at most ${limit} per message. ` +
        'Send it to fewer recipients, or configure your own SMTP server, which has no such limit.',
    );
  }

  override toResponse() {
    return { count: this.count, limit: this.limit };
  }
}
