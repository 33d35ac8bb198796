import { Logger } from '@nestjs/common';
import type { SentMessageInfo } from 'nodemailer';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeliveryFailedError } from '../errors/delivery-failed.error';
import { SmtpSettingsError } from '../errors/smtp-settings.error';
import type { SmtpRetryOptions } from '../options/retry-options.interface';
import { SMTP_SETTINGS_OPTION_DEFAULTS as DEFAULTS } from '../options/smtp-settings.defaults';
import { isAuthFailure, isTransient, retryAfterOf, retryDelay } from './retry-policy';
import { explainSmtpFailure, type ExplainTarget } from '../diagnosis/explain-smtp-failure';

/** One message on its way: how it may be stopped, and how many attempts it took. */
export interface DeliveryRun {
  /** Aborted at shutdown, with the error to fail waiting messages with as its reason. */
  readonly signal: AbortSignal;
  /** Attempts made for the whole message, batches included. */
  attempts: number;
  /**
   * A failure that ends the attempts at once, however transient: the main connection's failures
   * that a backup connection takes over (`failsOver`), so that the message goes there without
   * waiting for retries.
   */
  stopRetrying?: (error: unknown) => boolean;
}

/** How a channel retries one envelope. */
export interface RetryPlan {
  retry?: SmtpRetryOptions;
  /** What failures are explained against. */
  target: ExplainTarget;
  /** Gets a new token after the server refused one; only channels that sign in with tokens. */
  renewToken?: () => Promise<unknown>;
}

const logger = new Logger('SmtpSettings');

/**
 * One envelope, retried with backoff while failures are transient. An authentication failure is
 * never retried as such; with a token the token is renewed once and the message tried once more,
 * because Microsoft rejects a revoked token with 535 at once instead of the 334 nodemailer renews
 * on. A failure that may follow an accepted message is never retried.
 */
export async function sendWithRetry(
  attempt: () => Promise<SentMessageInfo>,
  plan: RetryPlan,
  run: DeliveryRun,
): Promise<SentMessageInfo> {
  const { signal } = run;
  const attempts = Math.max(1, plan.retry?.attempts ?? DEFAULTS.retry.attempts);
  let renewed = false;
  for (let n = 1; ; n++) {
    signal.throwIfAborted();
    run.attempts++;
    try {
      return await attempt();
    } catch (error) {
      signal.throwIfAborted();
      if (!renewed && plan.renewToken && isAuthFailure(error)) {
        renewed = true;
        await plan.renewToken();
        continue;
      }
      const failure = explained(error, plan.target);
      if (n >= attempts || !isTransient(error) || run.stopRetrying?.(failure)) throw failure;
      // A server that named its wait gets it, or none when it is longer than any retry waits.
      const asked = retryAfterOf(error);
      if (asked !== undefined && asked > (plan.retry?.maxDelayMs ?? DEFAULTS.retry.maxDelayMs))
        throw failure;
      const delay = asked ?? retryDelay(n, plan.retry);
      logger.debug(
        `Send attempt ${n} failed (${failure.code}: ${failure.message}); retrying in ${delay} ms`,
      );
      await sleep(delay, undefined, { signal }).catch(() => signal.throwIfAborted());
    }
  }
}

/** nodemailer's failures in the words `verify` uses; the module's own errors stay as they are. */
function explained(error: unknown, target: ExplainTarget): SmtpSettingsError {
  if (error instanceof SmtpSettingsError) return error;
  const { stage, message } = explainSmtpFailure(error, target);
  return new DeliveryFailedError(message, stage, error);
}
