import { DeliveryFailedError } from '../errors/delivery-failed.error';
import { DeliveryUncertainError } from '../errors/delivery-uncertain.error';
import type { SmtpSettingsModuleOptions } from '../options/smtp-settings-options.interface';
import { SMTP_SETTINGS_OPTION_DEFAULTS as DEFAULTS } from '../options/smtp-settings.defaults';

/**
 * The deadline of every attempt, in milliseconds: `attemptTimeoutMs`, or `outbox.attemptTimeoutMs`
 * (the same setting under the outbox's options), or the default. `send` and the outbox's worker
 * share the transport and its pools, so one value governs both: two different ones are refused.
 */
export function resolveAttemptTimeoutMs(options: SmtpSettingsModuleOptions): number {
  const own = options.attemptTimeoutMs;
  const outbox = options.outbox?.attemptTimeoutMs;
  for (const [name, value] of [
    ['attemptTimeoutMs', own],
    ['outbox.attemptTimeoutMs', outbox],
  ] as const) {
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
      throw new Error(`SmtpSettingsModule: ${name} must be a positive number`);
    }
  }
  if (own !== undefined && outbox !== undefined && own !== outbox) {
    throw new Error(
      `SmtpSettingsModule: attemptTimeoutMs (${own}) and outbox.attemptTimeoutMs (${outbox}) differ: ` +
        'send and the outbox deliver through the same transport, so one deadline governs every attempt: set one of them',
    );
  }
  return own ?? outbox ?? DEFAULTS.attemptTimeoutMs;
}

/** How far an attempt got when its deadline passed. */
export interface AttemptProgress {
  /** The server accepted DATA and the message began to be written. */
  dataStarted: boolean;
  /** The whole message was written, the final dot included. */
  written: boolean;
}

/**
 * The failure of an attempt past its deadline, its connection closed. Before the whole message
 * was written the message was not sent: a `DeliveryFailedError` with code `ETIMEDOUT`, tried again
 * like a dropped connection. After it, only the missing reply could have told: `DeliveryUncertainError`.
 * The message names the server and the deadline, nothing else.
 */
export function attemptTimedOut(
  server: { hostname: string; port: number },
  timeoutMs: number,
  progress: AttemptProgress,
): DeliveryFailedError | DeliveryUncertainError {
  const where = `${server.hostname}:${server.port}`;
  const deadline = `attemptTimeoutMs=${timeoutMs}`;
  if (progress.written) {
    return new DeliveryUncertainError(
      where,
      timeoutError(`no reply within ${deadline}, so the connection was closed`),
    );
  }
  const message = `the server at ${where} did not finish within ${deadline}: the connection was closed before the whole message was written, so it was not sent and can be tried again`;
  return new DeliveryFailedError(
    message,
    progress.dataStarted ? 'message' : 'connect',
    timeoutError(message),
  );
}

function timeoutError(message: string): Error {
  return Object.assign(new Error(message), { code: 'ETIMEDOUT', timeoutType: 'ATTEMPT_TIMEOUT' });
}

/**
 * The failure of an attempt its caller interrupted (the app shutting down), its connection closed:
 * as for a deadline, not sent before the whole message was written, uncertain after it.
 */
export function attemptInterrupted(
  server: { hostname: string; port: number },
  progress: AttemptProgress,
): DeliveryFailedError | DeliveryUncertainError {
  const where = `${server.hostname}:${server.port}`;
  if (progress.written) {
    return new DeliveryUncertainError(
      where,
      interruptedError('the attempt was interrupted (shutting down) before the server replied'),
    );
  }
  const message = `the attempt at ${where} was interrupted (shutting down) before the whole message was written, so it was not sent and can be tried again`;
  return new DeliveryFailedError(
    message,
    progress.dataStarted ? 'message' : 'connect',
    interruptedError(message),
  );
}

function interruptedError(message: string): Error {
  return Object.assign(new Error(message), { code: 'ESHUTDOWN' });
}
