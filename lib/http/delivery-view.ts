import { SMTP_OAUTH_UPGRADE } from '../upgrades/upgrades.constants';
import type { SmtpSettingsState } from '../interfaces/smtp-settings.types';
import type { FailoverState } from '../interfaces/mail-events.interface';
import type { SmtpConnectionName } from '../interfaces/smtp-connection.interface';
import type {
  DeliveryView,
  DeliveryViewReason,
} from '../interfaces/smtp-settings-admin-state.interface';

/** What decides whether one tenant's mail can go out, gathered by the controller. */
export interface DeliveryFacts {
  /** `SmtpSettingsService.get(tenant)`. */
  state: SmtpSettingsState;
  /** Whether the module options configure a relay. */
  hasRelay: boolean;
  /** Whether the `smtp-oauth` upgrade is installed for the tenant; only asked about for Bearer settings. */
  bearerAllowed: boolean;
  /** `SmtpSettingsService.secretProblem(tenant)`. */
  secretProblem: string | null;
  /** `MailerService.status(tenant)`. */
  status: {
    lastError: { code: string; message: string; at: string } | null;
    lastSuccessAt?: string | null;
    connection?: SmtpConnectionName;
    failover?: FailoverState | null;
  };
}

/** Saved settings that look fine can still be unable to send: say so, and how to fix it. */
export function deliveryView(facts: DeliveryFacts): DeliveryView {
  const blocked = blockOf(facts);
  return {
    canSend: blocked === null,
    reason: blocked?.reason ?? null,
    message: blocked?.message ?? null,
    lastFailure: facts.status.lastError,
    lastSuccessAt: facts.status.lastSuccessAt ?? null,
    connection: facts.status.connection ?? 'main',
    failover: facts.status.failover ?? null,
  };
}

function blockOf(facts: DeliveryFacts): { reason: DeliveryViewReason; message: string } | null {
  const settings = facts.state.settings;
  if (!settings) {
    if (facts.hasRelay) return null;
    return {
      reason: 'no-route',
      message:
        'Mail cannot go out: no SMTP server is configured, and this installation has no default relay. ' +
        'Save the settings of your SMTP server.',
    };
  }
  if (settings.type === 'bearer' && !facts.bearerAllowed) {
    return {
      reason: 'upgrade-removed',
      message:
        `Mail cannot go out: the saved settings use Bearer authentication, which needs the upgrade ` +
        `"${SMTP_OAUTH_UPGRADE.name}", and it is no longer installed. ` +
        'Install it again in the Upgrade Center, or save Basic settings' +
        (facts.hasRelay ? ', or revert to the default relay.' : '.'),
    };
  }
  if (facts.secretProblem) {
    return {
      reason: 'secret-unavailable',
      message: `Mail cannot go out: ${facts.secretProblem}.`,
    };
  }
  return null;
}
