import { SmtpSettingsError } from './smtp-settings.error';

/** A line break in a header or an address would let the caller write headers of its own. */
export class HeaderInjectionError extends SmtpSettingsError {
  readonly code = 'HEADER_INJECTION';

  constructor(readonly field: string) {
    super(`${field} must not contain line breaks`);
  }

  override toResponse() {
    return { errors: [{ field: this.field, message: this.message }] };
  }
}
