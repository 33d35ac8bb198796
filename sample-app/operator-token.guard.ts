import { ForbiddenException, Injectable, type ExecutionContext } from '@nestjs/common';
import type { SampleAdmin } from './admin-token';
import { AdminTokenGuard } from './admin-token.guard';
import { DEFAULT_TENANT } from './admin-tokens.config';

/**
 * The admin token of the tenant `default`, the vendor's own: for what spans every tenant (the
 * metrics). Another tenant's admin gets 403, since the figures of the others are not theirs.
 */
@Injectable()
export class OperatorTokenGuard extends AdminTokenGuard {
  override canActivate(context: ExecutionContext): boolean {
    super.canActivate(context);
    const admin = context.switchToHttp().getRequest<{ user: SampleAdmin }>().user;
    if (admin.tenantId !== DEFAULT_TENANT) {
      throw new ForbiddenException(
        `Only the admin token of the tenant ${DEFAULT_TENANT} reads what covers every tenant`,
      );
    }
    return true;
  }
}
