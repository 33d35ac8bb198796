import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { UpgradeCenter } from '../interfaces/upgrade-center.interface';
import { requireUpgradeFor } from '../upgrades/require-upgrade';

/**
 * Lets a request that uses Bearer authentication through only once the `smtp-oauth` upgrade is
 * installed. It throws `UpgradeRequiredError`, which `SmtpSettingsExceptionFilter` answers with 403:
 * routes of an app's own that use this guard need that filter too.
 */
@Injectable()
export class BearerUpgradeGuard implements CanActivate {
  constructor(@Inject(UpgradeCenter) private readonly upgrades: UpgradeCenter) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const { body } = context.switchToHttp().getRequest<{ body?: unknown }>();
    if (isBearerRequest(body)) {
      await requireUpgradeFor(this.upgrades, 'bearer', 'Bearer authentication');
    }
    return true;
  }
}

function isBearerRequest(body: unknown): boolean {
  return (
    typeof body === 'object' && body !== null && (body as { type?: unknown }).type === 'bearer'
  );
}
