import {
  Inject,
  Injectable,
  Logger,
  type CanActivate,
  type ExecutionContext,
  type Type,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { isObservable, lastValueFrom } from 'rxjs';
import type { SmtpSettingsModuleOptions } from '../options/smtp-settings-options.interface';
import { SMTP_SETTINGS_MODULE_OPTIONS } from '../options/smtp-settings.constants';

/**
 * Runs the guards from the module options in front of every route. They come from options (maybe
 * async ones), so they cannot be attached with `@UseGuards` when the controller is declared.
 */
@Injectable()
export class SmtpSettingsAccessGuard implements CanActivate {
  private guards?: Promise<CanActivate[]>;

  constructor(
    @Inject(SMTP_SETTINGS_MODULE_OPTIONS) private readonly options: SmtpSettingsModuleOptions,
    private readonly moduleRef: ModuleRef,
  ) {
    assertProtected(options);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    this.guards ??= this.instantiate();
    for (const guard of await this.guards) {
      const result = guard.canActivate(context);
      if (!(await (isObservable(result) ? lastValueFrom(result) : result))) return false;
    }
    return true;
  }

  private instantiate(): Promise<CanActivate[]> {
    return Promise.all(
      (this.options.guards ?? []).map((guard) =>
        typeof guard === 'function' ? this.resolve(guard) : guard,
      ),
    );
  }

  private async resolve(type: Type<CanActivate>): Promise<CanActivate> {
    try {
      return this.moduleRef.get(type, { strict: false });
    } catch {
      return this.moduleRef.create(type);
    }
  }
}

/** Settings routes hand out control of where a product's mail goes: refuse to serve them unguarded. */
export function assertProtected(options: SmtpSettingsModuleOptions): void {
  if ((options.guards?.length ?? 0) > 0) return;
  if (options.allowUnauthenticated !== true) {
    throw new Error(
      'SmtpSettingsModule: no guard protects the SMTP settings routes. Pass guards: [YourAdminGuard], ' +
        'or allowUnauthenticated: true for a local experiment.',
    );
  }
  new Logger('SmtpSettings').warn(
    'The SMTP settings routes are served WITHOUT authentication (allowUnauthenticated: true). Never do this in production.',
  );
}
