import { ChannelMissingError } from '../../errors/channel-missing.error';
import { DeliveryFailedError } from '../../errors/delivery-failed.error';
import { DeliveryIncompleteError } from '../../errors/delivery-incomplete.error';
import { DeliveryUnavailableError } from '../../errors/delivery-unavailable.error';
import { DeliveryUncertainError } from '../../errors/delivery-uncertain.error';
import { HeaderInjectionError } from '../../errors/header-injection.error';
import { MessageNotQueueableError } from '../../errors/message-not-queueable.error';
import { RecipientLimitExceededError } from '../../errors/recipient-limit-exceeded.error';
import { SecretUnsealError } from '../../errors/secret-unseal.error';
import { SenderRequiredError } from '../../errors/sender-required.error';
import { TokenRequestFailedError } from '../../errors/token-request-failed.error';
import { UpgradeRequiredError } from '../../errors/upgrade-required.error';
import type { OutboxError } from '../../interfaces/outbox.interface';
import { replyDeferral } from './provider-replies';

/**
 * What a failed attempt means for the message: try again later (`transient`), give up now
 * (`permanent`), never retry on its own because it may have been delivered (`uncertain`), wait
 * for the tenant's admin to fix the configuration (`held`), or wait as long as the provider said
 * before the tenant's mail goes again (`deferred`: a daily quota, throttling, `Retry-After`).
 */
export type DeliveryOutcomeKind = 'transient' | 'permanent' | 'uncertain' | 'held' | 'deferred';

/** The kind, and for `deferred` the wait. */
type Verdict =
  | { kind: Exclude<DeliveryOutcomeKind, 'deferred'> }
  | {
      kind: 'deferred';
      /** How long the tenant's mail waits before its next attempt, in milliseconds. */
      deferMs: number;
    };

export type DeliveryOutcome = Verdict & {
  /** The failure in the admin's words: the module's messages never carry a secret. */
  error: OutboxError;
};

const PERMANENT_ERRORS = [
  SenderRequiredError,
  RecipientLimitExceededError,
  HeaderInjectionError,
  MessageNotQueueableError,
  // Part of the recipients got it: sending it again would reach them twice.
  DeliveryIncompleteError,
];
/** Configuration problems of the tenant's route: nothing to do but wait for its admin. */
const HELD_ERRORS = [ChannelMissingError, SecretUnsealError, UpgradeRequiredError];
const HELD_REASONS = new Set(['upgrade-removed', 'secret-unavailable', 'provider-unavailable']);

/** Classifies what the live transport threw for one attempt. */
export function classifyFailure(error: unknown, at: Date = new Date()): DeliveryOutcome {
  return { ...verdictOf(error), error: describe(error, at) };
}

/** What the channel or the server said about the failure, besides the module's own classes. */
interface ChannelFailure {
  code?: string;
  message?: string;
  responseCode?: number;
  /** nodemailer's copy of the whole SMTP reply, every line. */
  response?: string;
  stage?: string;
  /** Set by channels that know (Microsoft Graph: throttled or unavailable, or neither). */
  transient?: boolean;
  /** How long the server asked to wait (Microsoft Graph's `Retry-After`). */
  retryAfterMs?: number;
  /** Microsoft Graph's HTTP status (`GraphSendError`); `status` on a plain error. */
  httpStatus?: number;
  status?: number;
  /** A settings field to fix: a configuration problem. */
  field?: string;
}

function verdictOf(error: unknown): Verdict {
  const kind = classKind(error);
  if (kind) return { kind };
  const failure = (error ?? {}) as ChannelFailure;
  const deferMs = askedWait(failure) ?? replyDeferral(replyOf(failure));
  if (deferMs !== undefined) return { kind: 'deferred', deferMs };
  return { kind: failureKind(failure, error) };
}

function classKind(error: unknown): Exclude<DeliveryOutcomeKind, 'deferred'> | undefined {
  if (error instanceof DeliveryUncertainError) return 'uncertain';
  if (PERMANENT_ERRORS.some((type) => error instanceof type)) return 'permanent';
  if (HELD_ERRORS.some((type) => error instanceof type)) return 'held';
  if (error instanceof DeliveryUnavailableError) {
    return HELD_REASONS.has(error.reason) ? 'held' : 'transient';
  }
  // A refused client id or secret names its AADSTS code; no answer at all is a network problem.
  if (error instanceof TokenRequestFailedError) {
    return error.code === 'TOKEN_REQUEST_FAILED' ? 'transient' : 'held';
  }
  return undefined;
}

/**
 * Throttled with a `Retry-After` (Microsoft Graph's 429, or any channel that says transient and
 * names its wait): exactly that wait. A wait of 0 asks for none: the usual backoff does.
 */
function askedWait({ retryAfterMs, httpStatus, status, transient }: ChannelFailure) {
  if (typeof retryAfterMs !== 'number' || !Number.isFinite(retryAfterMs) || retryAfterMs <= 0) {
    return undefined;
  }
  return httpStatus === 429 || status === 429 || transient === true ? retryAfterMs : undefined;
}

/** The server's reply and the error's message: either may carry the codes and the text. */
function replyOf({ response, message }: ChannelFailure): string {
  return [response, message].filter((part) => typeof part === 'string').join('\n');
}

function failureKind(
  failure: ChannelFailure,
  error: unknown,
): Exclude<DeliveryOutcomeKind, 'deferred'> {
  const { code, responseCode, stage, transient, field } = failure;
  if (transient === true) return 'transient';
  if (typeof field === 'string' && field !== '') return 'held';
  if (stage === 'token') return 'held';
  if (code === 'EAUTH' || code === 'ENOAUTH' || responseCode === 535 || stage === 'auth') {
    return 'held';
  }
  // No TLS where the settings ask for it, or the wrong TLS mode: the settings must change.
  if (code === 'ETLS' || (stage === 'tls' && responseCode === undefined)) return 'held';
  // The channel knows it is not worth another attempt (Microsoft Graph's 4xx other than 429).
  if (transient === false) return 'permanent';
  if (responseCode !== undefined) return responseCode >= 500 ? 'permanent' : 'transient';
  if (error instanceof DeliveryFailedError && error.code === 'EENVELOPE') return 'permanent';
  return 'transient';
}

function describe(error: unknown, at: Date): OutboxError {
  const { code, message, stage } = (error ?? {}) as {
    code?: unknown;
    message?: unknown;
    stage?: unknown;
  };
  return {
    code: typeof code === 'string' ? code : 'ESEND',
    ...(typeof stage === 'string' ? { stage } : {}),
    message: (typeof message === 'string' ? message : 'The message could not be sent').slice(
      0,
      1000,
    ),
    at: at.toISOString(),
  };
}

/** Why a held message waits, for the log and the `held` alert. */
export function heldReason(error: OutboxError): string {
  return `${error.message} (${error.code})`;
}

/** Network failures: nothing answered, or not in time. */
const UNREACHABLE = new Set([
  'ETIMEDOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EDNS',
  'ECONNECTION',
  'ESOCKET',
  'EPIPE',
  'TOKEN_REQUEST_FAILED',
]);

/** An SMTP reply came back, other than the 421 that closes the connection: the server answers. */
export function serverAnswered(error: unknown): boolean {
  const { responseCode } = (error ?? {}) as { responseCode?: unknown };
  return typeof responseCode === 'number' && responseCode !== 421;
}

/**
 * A transient failure of the tenant's route rather than of the message: the server (or its token
 * endpoint) could not be reached, closed the connection, or did not finish within the deadline, or
 * said `421` (service not available). Any other message of the tenant would fail the same way.
 */
export function routeDown(error: unknown): boolean {
  const { code, responseCode } = (error ?? {}) as { code?: unknown; responseCode?: unknown };
  if (responseCode === 421) return true;
  return responseCode === undefined && typeof code === 'string' && UNREACHABLE.has(code);
}
