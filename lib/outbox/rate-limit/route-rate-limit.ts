import type { BearerSettings, SmtpSettingsState } from '../../interfaces/smtp-settings.types';
import type { SmtpSettingsModuleOptions } from '../../options/smtp-settings-options.interface';
import { providerOf } from '../../settings/provider-settings.interface';
import type { SharedRateLimiter } from './shared-rate-limiter.interface';
import type {
  MailProviderDescriptor,
  SendingBudget,
} from '../../transport/mail-provider-descriptor.interface';

/** The shared limit a tenant's current route is under, with the key every replica counts it by. */
export type RouteRateLimit = SendingBudget;

/**
 * A Bearer provider's budget, when it has one (Microsoft 365: per mailbox). The relay: its
 * `rateLimit`, one budget for every tenant that sends through it. A custom Basic server: none.
 */
export function routeRateLimit(
  tenant: string,
  state: SmtpSettingsState,
  options: Pick<SmtpSettingsModuleOptions, 'microsoft' | 'relay'>,
  providers: readonly MailProviderDescriptor[],
): RouteRateLimit | null {
  if (state.source === 'custom') {
    const settings = state.settings as BearerSettings | null;
    if (!settings) return null;
    return providerOf(providers, settings)?.sendingBudget?.(tenant, settings, options) ?? null;
  }
  const relayLimit = options.relay?.rateLimit;
  return relayLimit
    ? { key: 'relay', limit: relayLimit.limit, windowMs: relayLimit.windowMs }
    : null;
}

/**
 * How long a message enqueued now on a route with this limit waits for its slot: booked in the
 * shared limiter at once (the message's id is its ticket), so that its job sleeps until then and no
 * worker takes it only to book it (a burst's bookings took the workers' slots from other tenants).
 * Nothing without a limit; a limiter that cannot be reached books nothing, and the worker books at
 * the first take, as for a message enqueued with a delay.
 */
export async function bookedWait(
  limiter: SharedRateLimiter | undefined,
  limit: RouteRateLimit | null,
  ticket: string,
): Promise<number> {
  if (!limit || !limiter?.book) return 0;
  return limiter.book(limit.key, limit.limit, limit.windowMs, ticket).catch(() => 0);
}
