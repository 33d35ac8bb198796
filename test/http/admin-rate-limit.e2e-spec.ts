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
    for (const operation of [routes.get, routes.put, routes.capabilities, routes.history]) {
      expect(operation.responses['429']).toBeUndefined();
    }
  });
});
