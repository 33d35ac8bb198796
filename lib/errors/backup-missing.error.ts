import { SmtpSettingsError } from './smtp-settings.error';

/** A check or test email asked for the backup connection, and the tenant has none saved. */
export class BackupMissingError extends SmtpSettingsError {
  readonly code = 'NO_SMTP_ROUTE';

  constructor() {
    super('No backup connection is saved: save one first (PUT backup), then check it');
  }
}
