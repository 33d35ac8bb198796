import { HttpsRequestError } from '../../internal/https-request';
import {
  attemptInterrupted,
  attemptTimedOut,
  type AttemptProgress,
} from '../../transport/attempt-deadline';

/**
 * The bound of one Graph send, as the SMTP pool bounds one attempt: `attemptTimeoutMs` from the
 * moment the transport takes the message, and the caller's signal (the outbox interrupting its
 * attempts at shutdown). Its `signal` aborts at whichever comes first; the steps stop on it.
 *
 * The deadline covers every step, the token included: waiting for the mailbox's gate (what waiting
 * for a free pool connection is to SMTP), the token, and the request. The caller's slot (an outbox
 * worker's) is held by each of them alike. The channel fetched the token just before (outside the
 * deadline, as for SMTP), so here it normally comes from the cache; a renewal that stalls counts
 * against the attempt, and fails it as not sent.
 *
 * Without `timeoutMs` (an admin check) there is no deadline, and the caller's signal is the admin
 * action's own limit: a stop is reported as nodemailer's transports report it (`EABORT`).
 */
export class GraphAttemptBound {
  readonly signal: AbortSignal;
  private readonly deadline = new AbortController();
  private readonly timer?: NodeJS.Timeout;
  private readonly server: { hostname: string; port: number };

  constructor(
    graphHost: string,
    private readonly timeoutMs: number | undefined,
    private readonly caller: AbortSignal | undefined,
  ) {
    const url = new URL(graphHost);
    this.server = { hostname: url.hostname, port: Number(url.port || 443) };
    const signals = caller ? [caller, this.deadline.signal] : [this.deadline.signal];
    this.signal = AbortSignal.any(signals);
    if (timeoutMs !== undefined) {
      this.timer = setTimeout(() => this.deadline.abort(), timeoutMs);
    }
  }

  /** Settles as `work` does, or rejects once the attempt is stopped, whichever comes first. */
  race<T>(work: Promise<T>): Promise<T> {
    const { signal } = this;
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    return new Promise<T>((resolve, reject) => {
      const stop = () => reject(signal.reason as Error);
      signal.addEventListener('abort', stop, { once: true });
      work.then(resolve, reject).finally(() => signal.removeEventListener('abort', stop));
    });
  }

  /**
   * When the attempt was stopped, what `error` means: sent or not by how far the request got (the
   * whole request written, no answer: uncertain). Undefined when it was not stopped.
   */
  failure(error: unknown): Error | undefined {
    if (!this.signal.aborted) return undefined;
    const progress = progressOf(error);
    if (this.caller?.aborted) {
      if (this.timeoutMs === undefined) return abortError();
      return attemptInterrupted(this.server, progress);
    }
    return attemptTimedOut(this.server, this.timeoutMs!, progress);
  }

  /** Ends the deadline's timer: called once the attempt is over, however it ended. */
  dispose(): void {
    clearTimeout(this.timer);
  }
}

/** A step before the request (the gate, the token) wrote nothing. */
function progressOf(error: unknown): AttemptProgress {
  if (!(error instanceof HttpsRequestError)) return { dataStarted: false, written: false };
  return { dataStarted: error.connected, written: error.written };
}

function abortError(): Error {
  return Object.assign(new Error('Message sending aborted'), {
    name: 'AbortError',
    code: 'EABORT',
  });
}
