import { OutboxUnavailableError } from '../errors/outbox-unavailable.error';
import { SmtpSettingsError } from '../errors/smtp-settings.error';

/** How long an operation on the queue's store may take before the outbox counts it as down. */
export const STORE_TIMEOUT_MS = 10_000;

/**
 * Runs an operation on the queue's store: a failure or a timeout becomes `OutboxUnavailableError`
 * (the module's own errors pass as they are). Only the code and first line of the store's error
 * are kept: a driver's message never carries a connection string.
 */
export async function guardStore<T>(what: string, operation: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${STORE_TIMEOUT_MS} ms`)),
      STORE_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([operation(), timeout]);
  } catch (error) {
    if (error instanceof SmtpSettingsError) throw error;
    throw new OutboxUnavailableError(`${what} (${describe(error)})`, error);
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
