import { SmtpSettingsError } from './smtp-settings.error';

/**
 * The whole message was written, then the connection failed before the server answered: it may
 * have been accepted. Never retried, because a retry could deliver it twice.
 */
export class DeliveryUncertainError extends SmtpSettingsError {
  readonly code = 'DELIVERY_UNCERTAIN';

  constructor(
    where: string,
    override readonly cause: unknown,
  ) {
    super(
      `The whole message was sent to ${where}, but the connection failed before the server answered (${firstLine(cause)}). ` +
        'The server may have accepted it: resending it may deliver it twice.',
    );
  }
}

function firstLine(error: unknown): string {
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  const text = (message ?? 'no reply').split('\n')[0]!.slice(0, 200);
  return code ? `${code}: ${text}` : text;
}
