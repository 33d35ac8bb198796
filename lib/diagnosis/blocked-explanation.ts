import { DeliveryUnavailableError } from '../errors/delivery-unavailable.error';
import { SecretUnsealError } from '../errors/secret-unseal.error';
import type { SmtpSettingsError } from '../errors/smtp-settings.error';
import { UpgradeRequiredError } from '../errors/upgrade-required.error';
import type { Explanation } from './explain-smtp-failure';

/** A channel that configuration blocks, as a result: nothing was sent and no connection opened. */
export function blockedExplanation(error: SmtpSettingsError): Explanation {
  return { stage: stageOf(error), code: error.code, message: error.message };
}

function stageOf(error: SmtpSettingsError): Explanation['stage'] {
  if (error instanceof UpgradeRequiredError || error instanceof SecretUnsealError) return 'auth';
  if (error instanceof DeliveryUnavailableError && error.reason !== 'shut-down') return 'auth';
  return 'connect';
}
