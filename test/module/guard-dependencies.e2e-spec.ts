import {
  Injectable,
  Module,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
  type Type,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { InMemorySmtpSettingsStore, SmtpSettingsModule } from '../../lib';

const KEY = randomBytes(32).toString('base64');

/** The app's session lookup, in a feature module of its own: not global, not in the module. */
@Injectable()
class SessionService {
  admin(token: string | undefined): boolean {
    return token === 'Bearer admin-session';
  }
}

@Module({ providers: [SessionService], exports: [SessionService] })
class SessionModule {}

/** The README's guard: it needs the app's SessionService. */
@Injectable()
class AdminGuard implements CanActivate {
  constructor(private readonly sessions: SessionService) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ headers: Record<string, string> }>();
    if (!this.sessions.admin(req.headers.authorization)) throw new UnauthorizedException();
    return true;
  }
}

/** A guard that needs something no module of the app provides. */
@Injectable()
class MissingService {}

@Injectable()
class BrokenGuard implements CanActivate {
  constructor(private readonly missing: MissingService) {}

  canActivate(): boolean {
    return this.missing !== undefined;
  }
}

describe("A guard with dependencies of the app's own", () => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function appWith(guard: Type<CanActivate>): Promise<INestApplication> {
    const ref = await Test.createTestingModule({
      imports: [
        SessionModule,
        SmtpSettingsModule.forRoot({
          store: new InMemorySmtpSettingsStore(),
          encryptionKey: KEY,
          guards: [guard],
        }),
      ],
    }).compile();
    app = ref.createNestApplication({ logger: false });
    await app.init();
    return app;
  }

  it('is created with them, from wherever the app provides them, and guards every route', async () => {
    const server = (await appWith(AdminGuard)).getHttpServer();
    await request(server).get('/smtp-settings').expect(401);
    await request(server)
      .get('/smtp-settings')
      .set('Authorization', 'Bearer admin-session')
      .expect(200);
    // Asked again after a refusal: the guard was not lost, nothing was cached as failed.
    await request(server).get('/smtp-settings/history').expect(401);
    await request(server)
      .get('/smtp-settings/history')
      .set('Authorization', 'Bearer admin-session')
      .expect(200);
  });

  it('that no module provides fails the start-up, naming the guard, the dependency and the fix', async () => {
    await expect(appWith(BrokenGuard)).rejects.toThrow(/BrokenGuard.*MissingService.*provide/s);
  });
});
