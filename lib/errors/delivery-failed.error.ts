import { SmtpSettingsError } from './smtp-settings.error';
import type { VerifyStage } from '../interfaces/verify-result.interface';

/** What nodemailer reports about a failed SMTP exchange. */
export interface SmtpFailureDetails {
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
}

/**
 * The SMTP server or the connection to it failed a send. The message is explained as `verify`
 * explains it (what to change); nodemailer's `code`, `responseCode`, `response` and `command`
 * stay available, and the original error is the `cause`.
 */
export class DeliveryFailedError extends SmtpSettingsError {
  readonly code: string;
  readonly responseCode?: number;
  readonly response?: string;
  readonly command?: string;

  constructor(
    message: string,
    /** Where the exchange stopped, in `verify`'s terms. */
    readonly stage: VerifyStage,
    override readonly cause: unknown,
  ) {
    super(message);
    const failure = (cause ?? {}) as SmtpFailureDetails;
    this.code = failure.code ?? 'ESEND';
    this.responseCode = failure.responseCode;
    this.response = failure.response;
    this.command = failure.command;
  }

  override toResponse() {
    return { stage: this.stage, responseCode: this.responseCode };
  }
}
