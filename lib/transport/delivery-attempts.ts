import type { Logger } from '@nestjs/common';
import type { MailMessage, SentMessageInfo } from 'nodemailer';
import { setTimeout as sleep } from 'node:timers/promises';
import { SmtpSettingsError } from '../errors/smtp-settings.error';
import { explainSmtpFailure } from './verify/explain-smtp-failure';
import type { SmtpRetryOptions } from '../options/retry-options.interface';
import { SMTP_SETTINGS_OPTION_DEFAULTS as DEFAULTS } from '../options/smtp-settings.defaults';
import { isAuthFailure, isTransient, retryDelay } from './retry-policy';
import { SmtpDeliveryError } from '../errors/smtp-delivery.error';
import type { SmtpChannel } from './smtp-channel';

export interface AttemptContext {
  retry?: SmtpRetryOptions;
  logger: Logger;
  /** Aborted at shutdown, with the error to fail waiting messages with as its reason. */
  signal: AbortSignal;
  /** Attempts made for the whole message, batches included. */
  tally: { attempts: number };
}

/**
 * One envelope, retried with backoff while failures are transient. An authentication failure is
 * never retried as such; with Bearer settings the token is renewed once and the message tried
 * once more, because Microsoft rejects a revoked token with 535 at once instead of the 334
 * nodemailer renews on. A failure that may follow an accepted message is never retried.
 */
export async function sendWithRetry(
  mail: MailMessage,
  route: SmtpChannel,
  context: AttemptContext,
): Promise<SentMessageInfo> {
  const { signal, tally, logger } = context;
  const attempts = Math.max(1, context.retry?.attempts ?? DEFAULTS.retry.attempts);
  let renewed = false;
  for (let attempt = 1; ; attempt++) {
    signal.throwIfAborted();
    tally.attempts++;
    let token: string | undefined;
    try {
      token = await route.prepare();
      return await route.send(mail, signal);
    } catch (error) {
      signal.throwIfAborted();
      if (!renewed && route.authType === 'bearer' && isAuthFailure(error)) {
        renewed = true;
        await route.prepare(true, token);
        continue;
      }
      const failure = explained(error, route);
      if (attempt >= attempts || !isTransient(error)) throw failure;
      const delay = retryDelay(attempt, context.retry);
      logger.debug(
        `Send attempt ${attempt} failed (${failure.code}: ${failure.message}); retrying in ${delay} ms`,
      );
      await sleep(delay, undefined, { signal }).catch(() => signal.throwIfAborted());
    }
  }
}

/** nodemailer's failures in the words `verify` uses; the module's own errors stay as they are. */
function explained(error: unknown, route: SmtpChannel): SmtpSettingsError {
  if (error instanceof SmtpSettingsError) return error;
  const { stage, message } = explainSmtpFailure(error, route.target);
  return new SmtpDeliveryError(message, stage, error);
}
