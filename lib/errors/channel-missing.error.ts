import { SmtpSettingsError } from './smtp-settings.error';

/** Neither custom settings nor a relay: there is nowhere to send mail. */
export class ChannelMissingError extends SmtpSettingsError {
  readonly code = 'NO_SMTP_ROUTE';

  constructor() {
    super(
      'No SMTP server is configured: save SMTP settings, or configure the relay option of SmtpSettingsModule',
    );
  }
}
