import { ForbiddenException } from '@nestjs/common';
import { upgradeRequiredMessage } from '../errors/upgrade-required.error';

/** What a guard throws when a request needs an upgrade that is not installed. */
export class UpgradeRequiredException extends ForbiddenException {
  constructor(upgrade: { id: string; name: string }, feature: string) {
    super({
      statusCode: 403,
      code: 'UPGRADE_REQUIRED',
      upgrade: upgrade.id,
      message: upgradeRequiredMessage(feature, upgrade.name),
    });
  }
}
