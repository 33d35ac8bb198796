import { SmtpSettingsError } from '../errors/smtp-settings.error';
import type { SmtpRetryOptions } from '../options/retry-options.interface';
import { SMTP_SETTINGS_OPTION_DEFAULTS as DEFAULTS } from '../options/smtp-settings.defaults';

interface SmtpFailure {
  code?: string;
  responseCode?: number;
  message?: string;
  timeoutType?: string;
  /** Set by channels that know better than a reply code (Microsoft Graph: 429, 503). */
  transient?: boolean;
  /** How long the server asked to wait before the next attempt (`Retry-After`). */
  retryAfterMs?: number;
  /** The server refused the token (Microsoft Graph: 401): a new one may pass. */
  tokenRefused?: boolean;
}

const TRANSIENT_CODES = new Set([
  'ECONNECTION',
  'ETIMEDOUT',
  'ESOCKET',
  'ECONNRESET',
  'ECONNREFUSED',
]);
/** 432 is Exchange Online's "too many connections at once" (4.3.2): it passes as others close. */
const TRANSIENT_REPLIES = new Set([421, 432, 450, 451, 452]);

/**
 * Connection drops, timeouts and "try again later" replies; never 5xx, never authentication.
 * A connection that opens but never greets is a TLS-mode mismatch, not a passing fault.
 */
export function isTransient(error: unknown): boolean {
  const { code, responseCode, transient } = (error ?? {}) as SmtpFailure;
  if (typeof transient === 'boolean') return transient;
  if (code === 'EAUTH' || code === 'ENOAUTH' || code === 'ETLS') return false;
  if (isGreetingTimeout(error)) return false;
  if (responseCode !== undefined) return TRANSIENT_REPLIES.has(responseCode);
  return code !== undefined && TRANSIENT_CODES.has(code);
}

export function isGreetingTimeout(error: unknown): boolean {
  const { code, message, timeoutType } = (error ?? {}) as SmtpFailure;
  if (code !== 'ETIMEDOUT') return false;
  return timeoutType === 'GREETING_TIMEOUT' || /greeting never received/i.test(message ?? '');
}

/**
 * After the whole message was written, only a reply says what became of it: a failure without
 * one (a timeout, a dropped connection) may follow a message the server already accepted.
 */
export function isUncertainAfterData(error: unknown): boolean {
  // The module's own errors (a Graph channel's) already say whether the message may have gone.
  if (error instanceof SmtpSettingsError) return false;
  return (error as SmtpFailure | undefined)?.responseCode === undefined;
}

/** The wait the server asked for before the next attempt, if it named one. */
export function retryAfterOf(error: unknown): number | undefined {
  const wait = (error as SmtpFailure | undefined)?.retryAfterMs;
  return typeof wait === 'number' && wait >= 0 ? wait : undefined;
}

export function isAuthFailure(error: unknown): boolean {
  const { code, tokenRefused } = (error ?? {}) as SmtpFailure;
  return code === 'EAUTH' || code === 'ENOAUTH' || tokenRefused === true;
}

/** Exponential backoff with up to 50 % jitter, so that replicas do not retry in lockstep. */
export function retryDelay(attempt: number, options: SmtpRetryOptions = {}): number {
  const base = options.baseDelayMs ?? DEFAULTS.retry.baseDelayMs;
  const max = options.maxDelayMs ?? DEFAULTS.retry.maxDelayMs;
  const delay = Math.min(max, base * 2 ** (attempt - 1));
  return Math.round(delay * (1 + Math.random() * 0.5));
}
