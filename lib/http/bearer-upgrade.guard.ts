import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { UpgradeRequiredException } from './upgrade-required.exception';
import { UpgradeCenter } from '../interfaces/upgrade-center.interface';
import { SMTP_OAUTH_UPGRADE } from '../upgrades/upgrades.constants';

/**
 * Lets a request that uses Bearer authentication through only once the `smtp-oauth` upgrade is
 * installed. Subclass it to change what counts as a Bearer request or which upgrade unlocks it.
 */
@Injectable()
export class BearerUpgradeGuard implements CanActivate {
  constructor(@Inject(UpgradeCenter) protected readonly upgrades: UpgradeCenter) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<{ body?: unknown }>();
    if (!this.isBearerRequest(request.body)) return true;
    if (await this.upgrades.isInstalled(this.upgrade.id)) return true;
    throw new UpgradeRequiredException(this.upgrade, 'Bearer authentication');
  }

  protected get upgrade(): { id: string; name: string } {
    return SMTP_OAUTH_UPGRADE;
  }

  protected isBearerRequest(body: unknown): boolean {
    return (
      typeof body === 'object' && body !== null && (body as { type?: unknown }).type === 'bearer'
    );
  }
}
