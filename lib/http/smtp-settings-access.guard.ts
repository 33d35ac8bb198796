import {
  Inject,
  Injectable,
  Logger,
  type CanActivate,
  type OnApplicationBootstrap,
  type ExecutionContext,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { isObservable, lastValueFrom } from 'rxjs';
import type { SmtpSettingsModuleOptions } from '../options/smtp-settings-options.interface';
import { SMTP_SETTINGS_MODULE_OPTIONS } from '../options/smtp-settings.constants';
import { createAppGuard } from './app-guards';
import { resolveRequestTenant } from './request-tenant';

/**
 * Runs the `guards` option in front of every route, in order, all of which must pass; then finds
 * the request's tenant (`resolveRequestTenant`), which the routes read with `@RequestTenant()`.
 *
 * Why not `@UseGuards(...options.guards)` on the generated controller: Nest reads guard metadata
 * when it scans modules, before any provider is created, and `forRootAsync` returns the guards
 * from a factory that runs later. Moving `guards` to the static extras instead would make guards
 * that a factory returns silently unused, leaving the routes open. So this guard resolves them
 * the way Nest would for the app's own controllers (a class with its dependencies from the app's
 * modules, an instance as it is), when the app starts, and runs them.
 */
@Injectable()
export class SmtpSettingsAccessGuard implements CanActivate, OnApplicationBootstrap {
  private guards?: Promise<CanActivate[]>;

  constructor(
    @Inject(SMTP_SETTINGS_MODULE_OPTIONS) private readonly options: SmtpSettingsModuleOptions,
    private readonly moduleRef: ModuleRef,
  ) {
    // Created only with the routes (`routes: false` leaves both out), when the app starts.
    assertProtected(options);
  }

  /** Every module is ready: a guard that cannot be created stops the start, saying why. */
  async onApplicationBootstrap(): Promise<void> {
    await this.ready();
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    for (const guard of await this.ready()) {
      const result = guard.canActivate(context);
      if (!(await (isObservable(result) ? lastValueFrom(result) : result))) return false;
    }
    // Only now: the tenant option reads what the app's guards authenticated (req.user).
    await resolveRequestTenant(this.options, context.switchToHttp().getRequest());
    return true;
  }

  /** The app's guards, created once; a failure is not kept, so a later request tries again. */
  private ready(): Promise<CanActivate[]> {
    this.guards ??= Promise.all(
      (this.options.guards ?? []).map((guard) =>
        typeof guard === 'function' ? createAppGuard(this.moduleRef, guard) : guard,
      ),
    ).catch((error: unknown) => {
      this.guards = undefined;
      throw error;
    });
    return this.guards;
  }
}

/** Settings routes hand out control of where a product's mail goes: refuse to serve them unguarded. */
function assertProtected(options: SmtpSettingsModuleOptions): void {
  if ((options.guards?.length ?? 0) > 0) return;
  if (options.allowUnauthenticated !== true) {
    throw new Error(
      'SmtpSettingsModule: no guard protects the SMTP settings routes. Pass guards: [YourAdminGuard], ' +
        'or allowUnauthenticated: true for a local experiment, or routes: false to serve no routes.',
    );
  }
  new Logger('SmtpSettings').warn(
    'The SMTP settings routes are served WITHOUT authentication (allowUnauthenticated: true). Never do this in production.',
  );
}
