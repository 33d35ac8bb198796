import { SmtpSettingsError } from './smtp-settings.error';

/**
 * A message names a local file or a URL for nodemailer to read at send time, and the module
 * option `allowFileAndUrlContent` is not set: nothing was sent.
 */
export class ExternalContentRefusedError extends SmtpSettingsError {
  readonly code = 'EXTERNAL_CONTENT_REFUSED';

  constructor(readonly field: string) {
    super(
      `This message names a file or a URL to read when it is sent (${field}): pass its content as a string or a Buffer, or set the module option allowFileAndUrlContent if your app trusts every message's author`,
    );
  }

  override toResponse(): Record<string, unknown> {
    return { field: this.field };
  }
}
