import { SMTP_OAUTH_UPGRADE } from '../upgrades/upgrades.constants';
import type { SmtpSettingsState } from '../interfaces/smtp-settings.types';

/** Why the current route cannot send mail. */
export type DeliveryViewReason = 'upgrade-removed' | 'secret-unavailable' | 'no-route';

/** Whether mail can go out right now, and how the last attempts went: what the admin page shows. */
export interface DeliveryView {
  /** Whether the current route can send now, as far as configuration decides. */
  canSend: boolean;
  /** Why it cannot; `null` when it can. */
  reason: DeliveryViewReason | null;
  /** Why mail cannot go out and what to do, in the admin's words; `null` when it can. */
  message: string | null;
  /** The last message that failed, whatever sent it; the message says why. */
  lastFailure: { code: string; message: string; at: string } | null;
  /** When a message last went out (ISO 8601), whatever sent it. */
  lastSuccessAt: string | null;
}

/**
 * `GET /smtp-settings` and the answer of `PUT`: the tenant administered, its settings, and whether
 * its mail can go out.
 */
export type SmtpSettingsAdminState = SmtpSettingsState & { tenant: string; delivery: DeliveryView };

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
