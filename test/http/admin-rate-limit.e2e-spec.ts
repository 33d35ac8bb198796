import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import request from 'supertest';
import { ADMIN_TOKEN } from '../fixtures/admin.guard';
import { createSettingsApp, HTTP_ADAPTERS, type SettingsApp } from '../fixtures/settings-app';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';

const AUTH = { Authorization: `Bearer ${ADMIN_TOKEN}` };

describe.each(HTTP_ADAPTERS)('The verify and test-email limit on %s', (adapter) => {
  let ctx: SettingsApp;
  let peer: SmtpPeer;

  beforeEach(async () => {
    peer = await startSmtpPeer();
    ctx = await createSettingsApp(
      { adminActionsRateLimit: { limit: 1, windowMs: 45_000 } },
      undefined,
      adapter,
    );
    await request(ctx.app.getHttpServer())
      .put('/smtp-settings')
      .set(AUTH)
      .send({
        type: 'basic',
        hostname: peer.host,
        port: peer.port,
        username: 'u',
        password: 'rate-limit-pass',
        senderEmail: 'noreply@example.com',
        useTls: false,
      })
      .expect(200);
  });
  afterEach(async () => {
    await ctx.app.close();
    await peer.close();
  });

  it('answers 429 in the module error shape with a Retry-After in seconds', async () => {
    const http = ctx.app.getHttpServer();
    await request(http).post('/smtp-settings/verify').set(AUTH).expect(200);
    const connections = peer.connections;

    const res = await request(http)
      .post('/smtp-settings/test-email')
      .set(AUTH)
      .send({ to: 'a@example.com' })
      .expect(429);
    expect(res.body).toEqual({
      statusCode: 429,
      code: 'RATE_LIMITED',
      message: expect.stringMatching(/try again in \d+ seconds?$/),
    });
    const retryAfter = Number(res.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(45);
    expect(res.body.message).toContain(`try again in ${retryAfter} second`);
    // Nothing reached the server for the refused request.
    expect(peer.connections).toBe(connections);
    expect(peer.messages).toHaveLength(0);
  });

  it('documents 401, 403 and 429 where they can occur', async () => {
    const doc = SwaggerModule.createDocument(ctx.app, new DocumentBuilder().build());
    const routes = {
      get: doc.paths['/smtp-settings']!.get!,
      put: doc.paths['/smtp-settings']!.put!,
      delete: doc.paths['/smtp-settings']!.delete!,
      verify: doc.paths['/smtp-settings/verify']!.post!,
      testEmail: doc.paths['/smtp-settings/test-email']!.post!,
      capabilities: doc.paths['/smtp-settings/capabilities']!.get!,
      history: doc.paths['/smtp-settings/history']!.get!,
    };
    for (const operation of Object.values(routes)) {
      expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['401', '403']));
    }
    for (const operation of [routes.verify, routes.testEmail]) {
      const tooMany = operation.responses['429'] as { headers?: Record<string, unknown> };
      expect(tooMany).toBeDefined();
      expect(tooMany.headers).toHaveProperty('Retry-After');
    }
    // PUT reaches out only with verify=true, and is limited only then.
    const putTooMany = routes.put.responses['429'] as { description?: string };
    expect(putTooMany.description).toContain('verify=true');
    for (const operation of [routes.get, routes.capabilities, routes.history]) {
      expect(operation.responses['429']).toBeUndefined();
    }
  });
});

/**
 * An app whose user ids restart per tenant: user "1" of acme is not user "1" of globex. The app's
 * guard authenticates both the organisation and the user, and the `tenant` option reads the former
 * from `req.user`, as the README advises.
 */
@Injectable()
class OrganisationUserGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context
      .switchToHttp()
      .getRequest<{ headers: Record<string, string | undefined>; user?: unknown }>();
    if (req.headers['authorization'] !== `Bearer ${ADMIN_TOKEN}`) return false;
    req.user = { id: req.headers['x-user-id'], organisation: req.headers['x-organisation'] };
    return true;
  }
}

const userOf = (organisation: string, id: string) => ({
  ...AUTH,
  'X-Organisation': organisation,
  'X-User-Id': id,
});

describe.each(HTTP_ADAPTERS)('The verify and test-email limit per tenant on %s', (adapter) => {
  let ctx: SettingsApp;
  let peer: SmtpPeer;

  beforeEach(async () => {
    peer = await startSmtpPeer();
    ctx = await createSettingsApp(
      {
        guards: [OrganisationUserGuard],
        tenant: (req) => (req.user as { organisation?: string } | undefined)?.organisation,
        adminActionsRateLimit: { limit: 1, windowMs: 45_000 },
      },
      undefined,
      adapter,
    );
  });
  afterEach(async () => {
    await ctx.app.close();
    await peer.close();
  });

  /** Points the tenant at the peer; PUT is not an admin action, so this spends no budget. */
  async function configure(organisation: string): Promise<void> {
    await request(ctx.app.getHttpServer())
      .put('/smtp-settings')
      .set(userOf(organisation, 'setup'))
      .send({
        type: 'basic',
        hostname: peer.host,
        port: peer.port,
        username: 'u',
        password: 'rate-limit-pass',
        senderEmail: 'noreply@example.com',
        useTls: false,
      })
      .expect(200);
  }

  it('gives user "1" of another tenant its own budget, and still limits the user who spent it', async () => {
    await configure('acme');
    await configure('globex');
    const http = ctx.app.getHttpServer();

    await request(http).post('/smtp-settings/verify').set(userOf('acme', '1')).expect(200);
    const spent = await request(http)
      .post('/smtp-settings/verify')
      .set(userOf('acme', '1'))
      .expect(429);
    expect(spent.body.code).toBe('RATE_LIMITED');

    // Same user id, another tenant: a budget of its own.
    const other = await request(http)
      .post('/smtp-settings/verify')
      .set(userOf('globex', '1'))
      .expect(200);
    expect(other.body.ok).toBe(true);
    // Which it can spend in turn, on either route.
    await request(http)
      .post('/smtp-settings/test-email')
      .set(userOf('globex', '1'))
      .send({ to: 'a@example.com' })
      .expect(429);
    // And acme's user "1" is still limited on the other route too.
    await request(http)
      .post('/smtp-settings/test-email')
      .set(userOf('acme', '1'))
      .send({ to: 'a@example.com' })
      .expect(429);
    expect(peer.messages).toHaveLength(0);
  });

  it('keeps apart a tenant and a user whose ids read the same once joined', async () => {
    // Each pair spells "a-b-c", "abc" or "a.b.c" when tenant and user are run together.
    const callers = [
      ['a-b', 'c'],
      ['a', 'b-c'],
      ['ab', 'c'],
      ['a', 'bc'],
      ['a.b', 'c'],
      ['a', 'b.c'],
    ] as const;
    for (const organisation of new Set(callers.map(([organisation]) => organisation))) {
      await configure(organisation);
    }
    const http = ctx.app.getHttpServer();
    for (const [organisation, user] of callers) {
      const res = await request(http).post('/smtp-settings/verify').set(userOf(organisation, user));
      expect({ organisation, user, status: res.status }).toEqual({
        organisation,
        user,
        status: 200,
      });
    }
  });
});
