import {
  ForbiddenException,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { AdminToken } from './admin-token';

/** `Authorization: Bearer <ADMIN_TOKEN>`: 401 without credentials, 403 with wrong ones. */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  constructor(private readonly token: AdminToken) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context
      .switchToHttp()
      .getRequest<{ headers: Record<string, unknown>; user?: unknown }>();
    const header = request.headers['authorization'];
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match)
      throw new UnauthorizedException('Send the admin token as Authorization: Bearer <token>');
    if (!this.token.matches(match[1]!))
      throw new ForbiddenException('The admin token is not valid');
    request.user = { id: 'admin' };
    return true;
  }
}
