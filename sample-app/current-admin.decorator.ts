import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { SampleAdmin } from './admin-token';

/** The admin that `AdminTokenGuard` signed in (on routes behind it), with the tenant it administers. */
export const CurrentAdmin = createParamDecorator(
  (_data: unknown, context: ExecutionContext): SampleAdmin =>
    context.switchToHttp().getRequest<{ user: SampleAdmin }>().user,
);
