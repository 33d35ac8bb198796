import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { UpgradeCenter } from '../interfaces/upgrade-center.interface';
import { requireUpgradeFor } from '../upgrades/require-upgrade';
import { tenantOfRequest } from './request-tenant';

/**
 * Lets a request that uses Bearer authentication through only once the `smtp-oauth` upgrade is
 * installed for the request's tenant. It runs after `SmtpSettingsAccessGuard`, which found that
 * tenant, and throws `UpgradeRequiredError`, which `SmtpSettingsExceptionFilter` answers with 403.
 */
@Injectable()
export class BearerUpgradeGuard implements CanActivate {
  constructor(@Inject(UpgradeCenter) private readonly upgrades: UpgradeCenter) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<{ body?: unknown }>();
    if (isBearerRequest(req.body)) {
      await requireUpgradeFor(
        this.upgrades,
        'bearer',
        'Bearer authentication',
        'request',
        tenantOfRequest(req),
      );
    }
    return true;
  }
}

function isBearerRequest(body: unknown): boolean {
  return (
    typeof body === 'object' && body !== null && (body as { type?: unknown }).type === 'bearer'
  );
}
