import {
  Inject,
  Injectable,
  type ExecutionContext,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerStorageService } from '@nestjs/throttler';
import type {
  SmtpSettingsModuleOptions,
  SmtpSettingsRequest,
} from '../interfaces/smtp-settings-module-options.interface';
import { SMTP_SETTINGS_MODULE_OPTIONS } from '../smtp-settings.constants';
import { actorOf } from './actor';

export const DEFAULT_ADMIN_ACTIONS_LIMIT = { limit: 30, ttlMs: 60_000 };

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
    const limit = settingsOptions.adminActionsRateLimit || DEFAULT_ADMIN_ACTIONS_LIMIT;
    super(
      {
        throttlers: [{ name: 'smtp-settings-admin-actions', limit: limit.limit, ttl: limit.ttlMs }],
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

  onApplicationShutdown(): void {
    (this.storageService as ThrottlerStorageService).onApplicationShutdown();
  }
}
