import { SmtpSettingsError } from './smtp-settings.error';

/**
 * Mail cannot go out because of how the product is configured, not because of the caller. Nothing
 * was sent and no connection was opened.
 */
export class DeliveryUnavailableError extends SmtpSettingsError {
  readonly code = 'DELIVERY_UNAVAILABLE';

  constructor(
    /** Why the configured route cannot send, whoever asks. */
    readonly reason: 'upgrade-removed' | 'secret-unavailable' | 'shut-down',
    message: string,
  ) {
    super(message);
  }

  override toResponse() {
    return { reason: this.reason };
  }
}
