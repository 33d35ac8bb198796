import { DeliveryFailedError } from './delivery-failed.error';
import type { VerifyStage } from '../interfaces/verify-result.interface';

/** What a Graph send failure carries besides its message. */
export interface GraphSendFailure {
  code: string;
  /** Graph's HTTP status; absent when Graph never answered. */
  status?: number;
  stage: VerifyStage;
  field?: string;
  /** Worth another attempt: throttling (429), unavailability (503), a connection that failed. */
  transient?: boolean;
  /** How long Graph asked to wait first. */
  retryAfterMs?: number;
  /** The token was refused (401): a new one may pass. */
  tokenRefused?: boolean;
}

/**
 * Microsoft Graph refused a message, or could not be reached before it took one. A
 * `DeliveryFailedError` like the SMTP path's, with the field to fix, and what retries need to know.
 */
export class GraphSendError extends DeliveryFailedError {
  /** What Microsoft Graph answered; absent when it never did. */
  readonly httpStatus?: number;
  readonly field?: string;
  readonly transient: boolean;
  readonly retryAfterMs?: number;
  readonly tokenRefused: boolean;

  constructor(message: string, failure: GraphSendFailure) {
    // No `responseCode`: that is an SMTP reply code, which an HTTP status must not pass for.
    super(message, failure.stage, {
      code: failure.code,
      response: failure.status ? `${failure.status} ${failure.code}` : undefined,
    });
    this.httpStatus = failure.status;
    this.field = failure.field;
    this.transient = failure.transient ?? false;
    this.retryAfterMs = failure.retryAfterMs;
    this.tokenRefused = failure.tokenRefused ?? false;
  }

  override toResponse() {
    return {
      ...super.toResponse(),
      ...(this.httpStatus ? { httpStatus: this.httpStatus } : {}),
      ...(this.field ? { field: this.field } : {}),
    };
  }
}
