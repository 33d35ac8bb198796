/**
 * Base class of every domain error the module throws. `code` is stable and machine-readable;
 * `status` is what `SmtpSettingsExceptionFilter` answers over HTTP. Messages never contain secrets.
 */
export abstract class SmtpSettingsError extends Error {
  abstract readonly code: string;
  abstract readonly status: number;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }

  /** Extra response fields, beyond `statusCode`, `code` and `message`. */
  toResponse(): Record<string, unknown> {
    return {};
  }
}
