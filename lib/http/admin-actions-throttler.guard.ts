import {
  Inject,
  Injectable,
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
import { SMTP_SETTINGS_MODULE_OPTIONS } from '../options/smtp-settings.constants';
import { SMTP_SETTINGS_OPTION_DEFAULTS } from '../options/smtp-settings.defaults';
import { actorOf } from './actor';
import { RateLimitedException } from './rate-limited.exception';

/**
 * Limits `verify` and `test-email` per admin, since each reaches out to another host. It brings its
 * own options and storage instead of `ThrottlerModule`, which is global and would clash with the
 * application's own throttling.
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

  protected override async shouldSkip(): Promise<boolean> {
    return this.settingsOptions.adminActionsRateLimit === false;
  }

  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    return (
      actorOf(this.settingsOptions, req as SmtpSettingsRequest) ?? (await super.getTracker(req))
    );
  }

  /** One budget per admin for both routes, rather than one per route. */
  protected override generateKey(
    _context: ExecutionContext,
    tracker: string,
    name: string,
  ): string {
    return `${name}:${tracker}`;
  }

  /** The standard Retry-After header (seconds), and the module's error shape. */
  protected override async throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const seconds = Math.max(1, Math.ceil(detail.timeToBlockExpire));
    const { res } = this.getRequestResponse(context);
    this.setResponseHeader(res, 'Retry-After', seconds);
    throw new RateLimitedException(seconds);
  }

  onApplicationShutdown(): void {
    (this.storageService as ThrottlerStorageService).onApplicationShutdown();
  }
}
