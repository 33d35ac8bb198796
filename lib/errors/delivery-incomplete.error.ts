import { SmtpSettingsError } from './smtp-settings.error';

/** A split message whose batch failed: exactly who got it and who did not. */
export class DeliveryIncompleteError extends SmtpSettingsError {
  readonly code = 'PARTIAL_DELIVERY';

  constructor(
    readonly sentTo: string[],
    readonly notSentTo: string[],
    override readonly cause: unknown,
  ) {
    super(
      `The message reached ${sentTo.length} recipients, but a batch failed and ${notSentTo.length} did not get it: ${(cause as Error)?.message ?? String(cause)}`,
    );
  }

  override toResponse() {
    return { sentTo: this.sentTo, notSentTo: this.notSentTo };
  }
}
