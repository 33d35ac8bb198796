import type { SmtpSettingsState } from '../../interfaces/smtp-settings.types';
import type { SmtpSettingsModuleOptions } from '../../options/smtp-settings-options.interface';
import { SMTP_SETTINGS_OPTION_DEFAULTS as DEFAULTS } from '../../options/smtp-settings.defaults';

/** The shared limit a tenant's current route is under, with the key every replica counts it by. */
export interface RouteRateLimit {
  key: string;
  limit: number;
  windowMs: number;
}

/**
 * Microsoft 365 (Bearer): a budget per mailbox, keyed by the tenant, its Entra tenant and the
 * mailbox. The relay: its `rateLimit`, one budget for every tenant that sends through it. A custom
 * Basic server: none.
 */
export function routeRateLimit(
  tenant: string,
  state: SmtpSettingsState,
  options: Pick<SmtpSettingsModuleOptions, 'microsoft' | 'relay'>,
): RouteRateLimit | null {
  if (state.source === 'custom') {
    const settings = state.settings as {
      type?: string;
      provider?: string;
      username?: string;
      tenantId?: string;
    } | null;
    // Exchange Online's budget is per mailbox, whichever way the message is submitted.
    if (settings?.type !== 'bearer' || !String(settings.provider ?? '').startsWith('microsoft')) {
      return null;
    }
    const limit = options.microsoft?.rateLimit ?? DEFAULTS.microsoft.rateLimit;
    if (limit === false) return null;
    const mailbox = String(settings.username ?? '').toLowerCase();
    return { key: `microsoft:${tenant}:${settings.tenantId ?? ''}:${mailbox}`, ...pick(limit) };
  }
  const relayLimit = options.relay?.rateLimit;
  return relayLimit ? { key: 'relay', ...pick(relayLimit) } : null;
}

function pick({ limit, windowMs }: { limit: number; windowMs: number }) {
  return { limit, windowMs };
}
