import { OutboxUncertainError } from '../errors/outbox-uncertain.error';
import { OutboxUnavailableError } from '../errors/outbox-unavailable.error';
import { SmtpSettingsError } from '../errors/smtp-settings.error';

/** How long an operation on the queue's store may take before the outbox counts it as down. */
export const STORE_TIMEOUT_MS = 10_000;

/**
 * Runs a read (or a write that changes nothing when it fails) on the queue's store: a failure or a
 * timeout becomes `OutboxUnavailableError` (the module's own errors pass as they are). Only the
 * code and first line of the store's error are kept: a driver's message never carries a connection
 * string.
 */
export async function guardStore<T>(
  what: string,
  operation: () => Promise<T>,
  timeoutMs = STORE_TIMEOUT_MS,
): Promise<T> {
  try {
    return await withTimeout(operation(), timeoutMs);
  } catch (error) {
    if (error instanceof SmtpSettingsError) throw error;
    throw new OutboxUnavailableError(`${what} (${describe(error)})`, error);
  }
}

/**
 * Runs a write of message `id`, telling apart what is known not to have happened
 * (`OutboxUnavailableError`: the store refused it, or was never reached) from what may have
 * (`OutboxUncertainError`: no answer in time, or a connection lost after the write was sent; the
 * write may still land).
 */
export async function guardWrite<T>(
  id: string,
  what: string,
  provesNothingWritten: (error: unknown) => boolean,
  operation: () => Promise<T>,
  timeoutMs = STORE_TIMEOUT_MS,
): Promise<T> {
  try {
    return await withTimeout(operation(), timeoutMs);
  } catch (error) {
    if (error instanceof SmtpSettingsError) throw error;
    if (!(error instanceof StoreTimeout) && provesNothingWritten(error)) {
      throw new OutboxUnavailableError(`${what} (${describe(error)})`, error);
    }
    throw new OutboxUncertainError(id, describe(error), error);
  }
}

class StoreTimeout extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
  }
}

async function withTimeout<T>(operation: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreTimeout(ms)), ms);
  });
  // A write that lands after the timeout must not become an unhandled rejection.
  operation.catch(() => undefined);
  try {
    return await Promise.race([operation, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function describe(error: unknown): string {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  const line = String(message ?? error)
    .split('\n')[0]!
    .replace(/\w+:\/\/\S+/g, '<url>')
    .slice(0, 200);
  return typeof code === 'string' ? `${code}: ${line}` : line;
}
