import {
  Inject,
  Injectable,
  SetMetadata,
  type ExecutionContext,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  ThrottlerGuard,
  ThrottlerStorageService,
  type ThrottlerLimitDetail,
} from '@nestjs/throttler';
import type {
  SmtpSettingsModuleOptions,
  SmtpSettingsRequest,
} from '../options/smtp-settings-options.interface';
import { RateLimitedError } from '../errors/rate-limited.error';
import { SMTP_SETTINGS_MODULE_OPTIONS } from '../options/smtp-settings.constants';
import { SMTP_SETTINGS_OPTION_DEFAULTS } from '../options/smtp-settings.defaults';
import { actorOf } from './actor';
import { tenantOfRequest } from './request-tenant';

/**
 * The storage key of one budget: the throttler's name, the tenant and the admin (or the address),
 * as a JSON array, so that no two (tenant, admin) pairs share a key however their ids are spelled:
 * tenant `a:b` with admin `c` is not tenant `a` with admin `b:c`.
 */
export function adminActionsKey(name: string, tenant: string, tracker: string): string {
  return JSON.stringify([name, tenant, tracker]);
}

const ADMIN_ACTION_WHEN = 'SMTP_SETTINGS:ADMIN_ACTION_WHEN';

/**
 * A route that reaches out to another host only on some requests (`PUT ?verify=true`): the guard
 * counts those, and lets the others through without spending the budget.
 */
export const AdminActionWhen = (reachesOut: (req: { query?: unknown }) => boolean) =>
  SetMetadata(ADMIN_ACTION_WHEN, reachesOut);

/**
 * Limits `verify`, `test-email` and `PUT ?verify=true` per admin of a tenant, since each reaches
 * out to another host.
 * It brings its own options and storage instead of `ThrottlerModule`, which is global and would
 * clash with the application's own throttling.
 */
@Injectable()
export class AdminActionsThrottlerGuard extends ThrottlerGuard implements OnApplicationShutdown {
  constructor(
    @Inject(SMTP_SETTINGS_MODULE_OPTIONS)
    private readonly settingsOptions: SmtpSettingsModuleOptions,
    // Explicit, so that the base class's own injection tokens (its storage) are not inherited.
    @Inject(Reflector) reflector: Reflector,
  ) {
    const limit =
      settingsOptions.adminActionsRateLimit || SMTP_SETTINGS_OPTION_DEFAULTS.adminActionsRateLimit;
    super(
      {
        throttlers: [
          // No X-RateLimit-* headers with the throttler's name in them: Retry-After is set below.
          {
            name: 'smtp-settings-admin-actions',
            limit: limit.limit,
            ttl: limit.windowMs,
            setHeaders: false,
          },
        ],
      },
      new ThrottlerStorageService(),
      reflector,
    );
  }

  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    if (this.settingsOptions.adminActionsRateLimit === false) return true;
    const reachesOut = this.reflector.get<((req: { query?: unknown }) => boolean) | undefined>(
      ADMIN_ACTION_WHEN,
      context.getHandler(),
    );
    return reachesOut !== undefined && !reachesOut(context.switchToHttp().getRequest());
  }

  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    return (
      actorOf(this.settingsOptions, req as SmtpSettingsRequest) ?? (await super.getTracker(req))
    );
  }

  /**
   * One budget per admin and tenant for all its routes, rather than one per route: apps whose user ids
   * restart per tenant have a user "1" in each, and each is a different admin. The tenant is the
   * one `SmtpSettingsAccessGuard` resolved for this request, before this guard runs.
   */
  protected override generateKey(context: ExecutionContext, tracker: string, name: string): string {
    const tenant = tenantOfRequest(context.switchToHttp().getRequest<object>());
    return adminActionsKey(name, tenant, tracker);
  }

  /** The standard Retry-After header (seconds), and the module's error shape. */
  protected override async throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const seconds = Math.max(1, Math.ceil(detail.timeToBlockExpire));
    const { res } = this.getRequestResponse(context);
    this.setResponseHeader(res, 'Retry-After', seconds);
    throw new RateLimitedError(seconds);
  }

  onApplicationShutdown(): void {
    (this.storageService as ThrottlerStorageService).onApplicationShutdown();
  }
}
