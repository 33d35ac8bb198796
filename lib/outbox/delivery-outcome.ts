import { ChannelMissingError } from '../errors/channel-missing.error';
import { DeliveryFailedError } from '../errors/delivery-failed.error';
import { DeliveryIncompleteError } from '../errors/delivery-incomplete.error';
import { DeliveryUnavailableError } from '../errors/delivery-unavailable.error';
import { DeliveryUncertainError } from '../errors/delivery-uncertain.error';
import { HeaderInjectionError } from '../errors/header-injection.error';
import { MessageNotQueueableError } from '../errors/message-not-queueable.error';
import { RecipientLimitExceededError } from '../errors/recipient-limit-exceeded.error';
import { SecretUnsealError } from '../errors/secret-unseal.error';
import { SenderRequiredError } from '../errors/sender-required.error';
import { TokenRequestFailedError } from '../errors/token-request-failed.error';
import { UpgradeRequiredError } from '../errors/upgrade-required.error';
import type { OutboxError } from '../interfaces/outbox.interface';

/**
 * What a failed attempt means for the message: try again later (`transient`), give up now
 * (`permanent`), never retry on its own because it may have been delivered (`uncertain`), or wait
 * for the tenant's admin to fix the configuration (`held`).
 */
export type DeliveryOutcomeKind = 'transient' | 'permanent' | 'uncertain' | 'held';

export interface DeliveryOutcome {
  kind: DeliveryOutcomeKind;
  /** The failure in the admin's words: the module's messages never carry a secret. */
  error: OutboxError;
}

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
  return { kind: kindOf(error), error: describe(error, at) };
}

function kindOf(error: unknown): DeliveryOutcomeKind {
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
  const { code, responseCode, stage, transient, field } = (error ?? {}) as {
    code?: string;
    responseCode?: number;
    stage?: string;
    /** Set by channels that know (Microsoft Graph: throttled or unavailable). */
    transient?: boolean;
    /** A settings field to fix: a configuration problem. */
    field?: string;
  };
  if (transient === true) return 'transient';
  if (typeof field === 'string' && field !== '') return 'held';
  if (stage === 'token') return 'held';
  if (code === 'EAUTH' || code === 'ENOAUTH' || responseCode === 535 || stage === 'auth') {
    return 'held';
  }
  // No TLS where the settings ask for it, or the wrong TLS mode: the settings must change.
  if (code === 'ETLS' || (stage === 'tls' && responseCode === undefined)) return 'held';
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
