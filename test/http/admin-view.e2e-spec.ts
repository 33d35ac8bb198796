import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import {
  InMemorySmtpSettingsStore,
  MailerService,
  type SmtpSettingsModuleOptions,
} from '../../lib';
import { ADMIN_TOKEN } from '../fixtures/admin.guard';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';
import { BEARER } from '../fixtures/settings-bodies';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';

interface Schema {
  required: string[];
  properties: Record<string, { properties: Record<string, { enum?: unknown[] }> }>;
}

const AUTH = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const PASSWORD = 'admin-view-pass-5e1d';
const CAN_SEND = {
  canSend: true,
  reason: null,
  message: null,
  lastFailure: null,
  lastSuccessAt: null,
  connection: 'main',
  failover: null,
};

/** `GET /smtp-settings` says whether mail can go out, not only what is saved. */
describe('The delivery state an admin sees', () => {
  const apps: SettingsApp[] = [];
  let peer: SmtpPeer;
  let relay: SmtpPeer;

  beforeAll(async () => {
    peer = await startSmtpPeer({ users: { mailer: PASSWORD } });
    relay = await startSmtpPeer();
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.app.close()));
  });
  afterAll(async () => {
    await peer.close();
    await relay.close();
  });

  async function app(options: Partial<SmtpSettingsModuleOptions> = {}): Promise<SettingsApp> {
    const created = await createSettingsApp({ retry: { attempts: 1 }, ...options });
    apps.push(created);
    return created;
  }
  const withRelay = () => app({ relay: { transport: { host: relay.host, port: relay.port } } });

  const basic = (extra: Record<string, unknown> = {}) => ({
    type: 'basic',
    hostname: peer.host,
    port: peer.port,
    username: 'mailer',
    password: PASSWORD,
    senderEmail: 'noreply@example.com',
    useTls: false,
    ...extra,
  });
  const get = (ctx: SettingsApp) =>
    request(ctx.app.getHttpServer()).get('/smtp-settings').set(AUTH).expect(200);
  const put = (ctx: SettingsApp, body: object) =>
    request(ctx.app.getHttpServer()).put('/smtp-settings').set(AUTH).send(body).expect(200);

  it('can send through the relay before anything is saved', async () => {
    const ctx = await withRelay();
    expect((await get(ctx)).body.delivery).toEqual(CAN_SEND);
  });

  it('says that nothing can go out with no settings and no relay, and how to fix it', async () => {
    const ctx = await app();
    const { delivery } = (await get(ctx)).body;
    expect(delivery).toEqual({
      ...CAN_SEND,
      canSend: false,
      reason: 'no-route',
      message: expect.stringContaining('Save the settings of your SMTP server'),
    });
    await expect(
      ctx.app.get(MailerService).send({ to: 'a@example.com', text: 'x' }),
    ).rejects.toThrow();
  });

  it('answers PUT with the same delivery state as GET', async () => {
    const ctx = await withRelay();
    const saved = await put(ctx, basic());
    expect(saved.body.delivery).toEqual(CAN_SEND);
    expect((await get(ctx)).body).toEqual(saved.body);
  });

  it('says that Bearer settings cannot send once the upgrade is removed, and back once reinstalled', async () => {
    const ctx = await withRelay();
    ctx.installed.add('smtp-oauth');
    await put(ctx, { ...BEARER, hostname: peer.host, port: peer.port });
    expect((await get(ctx)).body.delivery.canSend).toBe(true);

    ctx.installed.delete('smtp-oauth');
    const fresh = await get(ctx);
    // Not cacheable: the version (the ETag) stayed the same while delivery changed.
    expect(fresh.headers['cache-control']).toBe('no-store');
    expect(fresh.headers.etag).toBe('"1"');
    const state = fresh.body;
    expect(state.source).toBe('custom');
    expect(state.delivery).toMatchObject({
      canSend: false,
      reason: 'upgrade-removed',
      message: expect.stringContaining(
        'needs the upgrade "Security Enhancement - oAuth Enablement for SMTP services"',
      ),
    });
    expect(state.delivery.message).toContain('Upgrade Center');
    expect(state.delivery.message).toContain('revert to the default relay');
    // It tells the truth: a send fails, and nothing reaches the server or the relay.
    const connections = peer.connections + relay.connections;
    await expect(
      ctx.app.get(MailerService).send({ to: 'a@example.com', text: 'x' }),
    ).rejects.toThrow();
    expect(peer.connections + relay.connections).toBe(connections);

    ctx.installed.add('smtp-oauth');
    expect((await get(ctx)).body.delivery).toMatchObject({ canSend: true, reason: null });
  });

  it('says that the stored secret cannot be opened after the key changed', async () => {
    const store = new InMemorySmtpSettingsStore();
    const before = await app({ store, encryptionKey: randomBytes(32).toString('base64') });
    await put(before, basic());
    const after = await app({
      store,
      encryptionKey: randomBytes(32).toString('base64'),
      relay: { transport: { host: relay.host, port: relay.port } },
    });
    const { delivery } = (await get(after)).body;
    expect(delivery).toMatchObject({
      canSend: false,
      reason: 'secret-unavailable',
      message: expect.stringMatching(/^Mail cannot go out: .*password.*enter it again/),
    });
  });

  it('reports the last success and the last failure of the product’s own sends', async () => {
    const ctx = await withRelay();
    await put(ctx, basic());
    const mailer = ctx.app.get(MailerService);
    const start = new Date().toISOString();
    await mailer.send({ to: 'admin@example.com', subject: 'ok', text: 'x' });
    const afterSuccess = (await get(ctx)).body.delivery;
    expect(afterSuccess).toMatchObject({ canSend: true, lastFailure: null });
    expect(afterSuccess.lastSuccessAt >= start).toBe(true);

    await put(ctx, basic({ password: 'not-the-password' }));
    await expect(mailer.send({ to: 'admin@example.com', text: 'x' })).rejects.toThrow();
    const afterFailure = (await get(ctx)).body.delivery;
    expect(afterFailure.canSend).toBe(true); // configuration allows it; the server refused
    expect(afterFailure.lastFailure).toEqual({
      code: expect.any(String),
      message: expect.stringMatching(/auth/i),
      at: expect.any(String),
    });
    expect(afterFailure.lastFailure.at >= afterSuccess.lastSuccessAt).toBe(true);
    expect(afterFailure.lastSuccessAt).toBe(afterSuccess.lastSuccessAt);
    expect(JSON.stringify(afterFailure)).not.toContain('not-the-password');
  });

  it('documents the delivery object in the OpenAPI schema of GET and PUT', async () => {
    const ctx = await app();
    const doc = SwaggerModule.createDocument(ctx.app, new DocumentBuilder().build());
    for (const method of ['get', 'put'] as const) {
      const operation = doc.paths['/smtp-settings']![method]!;
      const ok = operation.responses['200'] as {
        content: Record<string, { schema: Schema }>;
      };
      const schema = ok.content['application/json']!.schema;
      expect(schema.required).toContain('delivery');
      expect(Object.keys(schema.properties.delivery!.properties).sort()).toEqual(
        [
          'canSend',
          'lastFailure',
          'lastSuccessAt',
          'message',
          'reason',
          'connection',
          'failover',
        ].sort(),
      );
      expect(schema.properties.delivery!.properties.reason!.enum).toEqual(
        expect.arrayContaining(['upgrade-removed', 'secret-unavailable', 'no-route']),
      );
    }
  });
});
