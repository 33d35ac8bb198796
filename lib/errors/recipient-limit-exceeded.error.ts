import { SmtpSettingsError } from './smtp-settings.error';

/**
 * A message with more recipients than its route allows (the relay, or Google Workspace). Raised
 * before anything is sent.
 */
export class RecipientLimitExceededError extends SmtpSettingsError {
  readonly code = 'RECIPIENT_LIMIT_EXCEEDED';

  constructor(
    readonly count: number,
    readonly limit: number,
    /** Who sets the limit; the default mail relay when left out. */
    route?: string,
  ) {
    super(
      route === undefined
        ? `This message has ${count} recipients, but the default mail relay accepts at most ${limit} per message. ` +
            'Send it to fewer recipients, or configure your own SMTP server, which has no such limit.'
        : `This message has ${count} recipients, but ${route} accepts at most ${limit} per message. ` +
            'Send it to fewer recipients.',
    );
  }

  override toResponse() {
    return { count: this.count, limit: this.limit };
  }
}
