import { DeliveryFailedError } from '../errors/delivery-failed.error';
import { DeliveryUncertainError } from '../errors/delivery-uncertain.error';
import { TokenRequestFailedError } from '../errors/token-request-failed.error';
import { reachedData } from './pool-attempt';

/**
 * Whether the main connection could not take a message, so that the backup may take the same
 * message at once: it cannot be reached (DNS, refused, a connect timeout), TLS failed, sign-in was
 * refused (a token that cannot be had included), or it answered 4xx (421 included) at the
 * greeting, EHLO or MAIL FROM. A 5xx greeting (554 no service, a blocklisted client) fails over
 * too: the server takes no message from this client, whatever the message, and none was sent.
 * Never a recipient's or the content's rejection, never once the whole message was written (the
 * end of DATA sent), and never an uncertain outcome.
 */
export function failsOver(error: unknown): boolean {
  if (error instanceof DeliveryUncertainError || reachedData(error)) return false;
  if (error instanceof TokenRequestFailedError) return true;
  if (!(error instanceof DeliveryFailedError)) return false;
  switch (error.stage) {
    case 'dns':
    case 'connect':
    case 'tls':
    case 'auth':
    case 'token':
      return true;
    case 'sender':
      return (
        error.responseCode !== undefined && error.responseCode >= 400 && error.responseCode < 500
      );
    default:
      return false;
  }
}

/** Why the main connection was left, in the admin's words: the explained failure, code first. */
export function failoverReasonOf(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  return `the main connection could not take a message (${code ?? 'ESEND'}): ${message ?? ''}`.trim();
}
