import {
  ForbiddenException,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { AdminToken, type SampleAdmin } from './admin-token';

/**
 * `Authorization: Bearer <token>`: 401 without credentials, 403 with wrong ones. Sets `req.user` to
 * the admin, with the tenant the token administers: the settings module's `tenant` option reads
 * it from there, never from anything else the caller sends.
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  constructor(private readonly tokens: AdminToken) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context
      .switchToHttp()
      .getRequest<{ headers: Record<string, unknown>; user?: SampleAdmin }>();
    const header = request.headers['authorization'];
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match)
      throw new UnauthorizedException('Send the admin token as Authorization: Bearer <token>');
    const admin = this.tokens.adminOf(match[1]!);
    if (!admin) throw new ForbiddenException('The admin token is not valid');
    request.user = admin;
    return true;
  }
}
