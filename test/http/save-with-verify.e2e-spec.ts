import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import request from 'supertest';
import type { App } from 'supertest/types';
import { ADMIN_TOKEN } from '../fixtures/admin.guard';
import { basicSettingsFor } from '../fixtures/peer-settings';
import { createSettingsApp, HTTP_ADAPTERS, type SettingsApp } from '../fixtures/settings-app';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';

const AUTH = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const RIGHT_PASSWORD = 'save-verify-right-7c1e';
const WRONG_PASSWORD = 'save-verify-wrong-93ab';

/**
 * `PUT /smtp-settings?verify=true` checks the settings as `POST verify` does and saves only when the
 * check passed: Save no longer accepts what Verify has just refused.
 */
describe.each(HTTP_ADAPTERS)('Saving with verify=true on %s', (adapter) => {
  let peer: SmtpPeer;
  let ctx: SettingsApp;
  let http: App;

  beforeAll(async () => {
    peer = await startSmtpPeer({ users: { mailer: RIGHT_PASSWORD } });
  });
  afterAll(() => peer.close());
  beforeEach(async () => {
    ctx = await createSettingsApp({}, undefined, adapter);
    http = ctx.app.getHttpServer();
  });
  afterEach(() => ctx.app.close());

  const put = (query: string, body: object, headers: Record<string, string> = {}) =>
    request(http).put(`/smtp-settings${query}`).set(AUTH).set(headers).send(body);
  const state = async () => (await request(http).get('/smtp-settings').set(AUTH).expect(200)).body;
  const history = async () =>
    (await request(http).get('/smtp-settings/history').set(AUTH).expect(200)).body;

  it('refuses settings the server refuses with 422 VERIFY_FAILED and the verify result, saving nothing', async () => {
    await put('', basicSettingsFor(peer, RIGHT_PASSWORD)).expect(200);
    const [before, historyBefore] = [await state(), await history()];

    const res = await put('?verify=true', {
      ...basicSettingsFor(peer, WRONG_PASSWORD),
      senderName: 'Not saved',
    }).expect(422);

    expect(res.body).toEqual({
      statusCode: 422,
      code: 'VERIFY_FAILED',
      message: res.body.verify.message,
      verify: {
        ok: false,
        stage: 'auth',
        code: '535',
        message: expect.stringContaining('authentication failed'),
        durationMs: expect.any(Number),
        route: 'custom',
      },
    });
    expect(res.text).not.toContain(WRONG_PASSWORD);
    expect(res.text).not.toContain(RIGHT_PASSWORD);
    expect(await state()).toEqual(before);
    expect(await history()).toEqual(historyBefore);
  });

  it('answers the same verify result as POST verify for the same body', async () => {
    const body = basicSettingsFor(peer, WRONG_PASSWORD);
    const verify = await request(http)
      .post('/smtp-settings/verify')
      .set(AUTH)
      .send(body)
      .expect(200);
    const saved = await put('?verify=true', body).expect(422);
    const { durationMs: _a, ...checked } = verify.body;
    const { durationMs: _b, ...refused } = saved.body.verify;
    expect(refused).toEqual(checked);
    expect((await state()).version).toBe(0);
    expect(await history()).toEqual([]);
  });

  it('saves settings that pass the check, with 200 and the ETag, after connecting', async () => {
    const connections = peer.connections;
    const res = await put('?verify=true', basicSettingsFor(peer, RIGHT_PASSWORD)).expect(200);
    expect(res.body).toMatchObject({ source: 'custom', version: 1 });
    expect(res.body.settings).toMatchObject({ hostname: peer.host, passwordSet: true });
    expect(res.headers.etag).toBe('"1"');
    expect(peer.connections).toBeGreaterThan(connections);
    expect(await history()).toHaveLength(1);
  });

  it('checks with the stored password when the body omits it, as PUT reuses it', async () => {
    await put('', basicSettingsFor(peer, RIGHT_PASSWORD)).expect(200);
    const { password: _password, ...withoutPassword } = basicSettingsFor(peer, RIGHT_PASSWORD);
    const res = await put('?verify=true', { ...withoutPassword, senderName: 'Ops' }).expect(200);
    expect(res.body.settings).toMatchObject({ senderName: 'Ops', passwordSet: true });
  });

  it.each([['verify=false'], ['']])(
    'saves without connecting with %s, as before',
    async (query) => {
      const connections = peer.connections;
      await put(query ? `?${query}` : '', basicSettingsFor(peer, WRONG_PASSWORD)).expect(200);
      expect(peer.connections).toBe(connections);
      expect((await state()).version).toBe(1);
    },
  );

  it.each([['verify=maybe'], ['verify='], ['verify=TRUE'], ['verify=true&verify=true']])(
    'refuses %s with 400 naming the field verify, before connecting',
    async (query) => {
      const connections = peer.connections;
      const res = await put(`?${query}`, basicSettingsFor(peer, RIGHT_PASSWORD)).expect(400);
      expect(res.body.errors).toEqual([
        { field: 'verify', message: 'verify must be true or false' },
      ]);
      expect(peer.connections).toBe(connections);
      expect((await state()).version).toBe(0);
    },
  );

  it('refuses an invalid body with the same 400 as PUT, before connecting', async () => {
    const connections = peer.connections;
    const body = { ...basicSettingsFor(peer, RIGHT_PASSWORD), port: 587 };
    const plain = await put('', body).expect(400);
    const verified = await put('?verify=true', body).expect(400);
    expect(verified.body).toEqual(plain.body);
    // An empty body is not "check the saved settings" here, as it is for POST verify.
    const empty = await put('?verify=true', {}).expect(400);
    expect(empty.body.code).toBe('INVALID_SETTINGS');
    expect(peer.connections).toBe(connections);
  });

  it('refuses a stale If-Match with 412 without connecting', async () => {
    await put('', basicSettingsFor(peer, RIGHT_PASSWORD), { 'If-Match': '"0"' }).expect(200);
    await put('', basicSettingsFor(peer, RIGHT_PASSWORD, { senderName: 'Second' }), {
      'If-Match': '"1"',
    }).expect(200);
    const connections = peer.connections;
    const stale = await put(
      '?verify=true',
      basicSettingsFor(peer, RIGHT_PASSWORD, { senderName: 'Stale' }),
      { 'If-Match': '"1"' },
    ).expect(412);
    expect(stale.body).toMatchObject({ code: 'VERSION_CONFLICT', currentVersion: 2 });
    expect(peer.connections).toBe(connections);
    expect((await history()).map((h: { version: number }) => h.version)).toEqual([2, 1]);
  });

  it('saves with a current If-Match once the check passed', async () => {
    await put('?verify=true', basicSettingsFor(peer, RIGHT_PASSWORD), {
      'If-Match': '"0"',
    }).expect(200);
    expect((await state()).version).toBe(1);
  });

  it('documents the verify query and the 422 on PUT', () => {
    const doc = SwaggerModule.createDocument(ctx.app, new DocumentBuilder().build());
    const operation = doc.paths['/smtp-settings']!.put!;
    expect(operation.parameters).toContainEqual(
      expect.objectContaining({ name: 'verify', in: 'query', required: false }),
    );
    expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['422', '429']));
  });
});

describe('Saving with verify=true and the verify and test-email limit', () => {
  let peer: SmtpPeer;
  let ctx: SettingsApp;

  beforeAll(async () => {
    peer = await startSmtpPeer({ users: { mailer: RIGHT_PASSWORD } });
    ctx = await createSettingsApp({ adminActionsRateLimit: { limit: 1, windowMs: 45_000 } });
  });
  afterAll(async () => {
    await ctx.app.close();
    await peer.close();
  });

  it('spends the same budget as verify, while a plain PUT spends none', async () => {
    const http = ctx.app.getHttpServer();
    const body = basicSettingsFor(peer, WRONG_PASSWORD);
    await request(http).put('/smtp-settings').set(AUTH).send(body).expect(200);
    await request(http).put('/smtp-settings').set(AUTH).send(body).expect(200);
    await request(http).put('/smtp-settings?verify=true').set(AUTH).send(body).expect(422);
    const connections = peer.connections;
    const limited = await request(http).post('/smtp-settings/verify').set(AUTH).send(body);
    expect(limited.status).toBe(429);
    const again = await request(http).put('/smtp-settings?verify=true').set(AUTH).send(body);
    expect(again.status).toBe(429);
    expect(again.body.code).toBe('RATE_LIMITED');
    expect(peer.connections).toBe(connections);
    await request(http).put('/smtp-settings').set(AUTH).send(body).expect(200);
  });
});
