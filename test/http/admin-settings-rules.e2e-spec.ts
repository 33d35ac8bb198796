import request from 'supertest';
import type { App } from 'supertest/types';
import { MailerService } from '../../lib';
import { ADMIN_TOKEN } from '../fixtures/admin.guard';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';
import { BASIC, BEARER } from '../fixtures/settings-bodies';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';

const AUTH = { Authorization: `Bearer ${ADMIN_TOKEN}` };

describe('Settings rules an admin meets when saving', () => {
  let ctx: SettingsApp;
  let http: App;
  let peer: SmtpPeer | undefined;

  beforeEach(async () => {
    ctx = await createSettingsApp({ retry: { attempts: 1 } });
    ctx.installed.add('smtp-oauth');
    http = ctx.app.getHttpServer();
  });
  afterEach(async () => {
    await ctx.app.close();
    await peer?.close();
    peer = undefined;
  });

  const put = (body: object) => request(http).put('/smtp-settings').set(AUTH).send(body);

  describe('Bearer and TLS', () => {
    it.each([25, 2525, 587])(
      'refuses Bearer on port %i with TLS off, naming useTls, and saves nothing',
      async (port) => {
        const res = await put({ ...BEARER, port, useTls: false }).expect(400);
        expect(res.body.code).toBe('INVALID_SETTINGS');
        const problems = res.body.errors.filter((e: { field: string }) => e.field === 'useTls');
        expect(problems).toEqual([
          {
            field: 'useTls',
            message: expect.stringContaining('Bearer authentication requires useTls to be on'),
          },
        ]);
        expect(await ctx.store.get('default')).toBeNull();
      },
    );

    it('refuses to verify Bearer with TLS off before opening any connection', async () => {
      peer = await startSmtpPeer();
      const res = await request(http)
        .post('/smtp-settings/verify')
        .set(AUTH)
        .send({ ...BEARER, hostname: peer.host, port: peer.port, useTls: false })
        .expect(400);
      expect(res.body.errors).toContainEqual(expect.objectContaining({ field: 'useTls' }));
      expect(peer.connections).toBe(0);
    });

    it.each([
      'smtp.office365.com',
      'SMTP.Office365.com',
      'smtp.office365.us',
      'smtp-mail.outlook.com',
      'smtp.partner.outlook.cn',
    ])('saves Bearer for the Microsoft endpoint %s without a warning', async (hostname) => {
      const res = await put({ ...BEARER, hostname }).expect(200);
      expect(res.body.warnings).toEqual([]);
    });

    it('saves Bearer for another host, warning that the token goes there', async () => {
      const res = await put({ ...BEARER, hostname: 'mail.contoso.example' }).expect(200);
      expect(res.body.warnings).toEqual([
        expect.stringContaining('mail.contoso.example is not a known Microsoft 365 SMTP endpoint'),
      ]);
      const get = await request(http).get('/smtp-settings').set(AUTH).expect(200);
      expect(get.body.warnings).toEqual(res.body.warnings);
    });

    it('does not warn about the hostname of Basic settings', async () => {
      const res = await put({ ...BASIC, hostname: 'mail.contoso.example' }).expect(200);
      expect(res.body.warnings).toEqual([]);
    });
  });

  describe('GUIDs as Entra ID prints them', () => {
    it.each([
      ['clientId', '11111111-2222-3333-4444-555555555555'],
      ['tenantId', '11111111-2222-3333-4444-555555555555'],
      ['clientId', '00000000-0000-0000-0000-000000000000'],
      ['clientId', 'ABCDEF01-2345-6789-ABCD-EF0123456789'],
    ])('accepts %s %s', async (field, value) => {
      const res = await put({ ...BEARER, [field]: value }).expect(200);
      expect(res.body.settings[field]).toBe(value);
    });

    it.each([
      ['clientId', '11111111-2222-3333-4444-55555555555'],
      ['clientId', '{11111111-2222-3333-4444-555555555555}'],
      ['clientId', '11111111222233334444555555555555'],
      ['clientId', 'g1111111-2222-3333-4444-555555555555'],
      ['tenantId', '11111111-2222-3333-4444-5555555555556'],
    ])('refuses %s %s, which is not 8-4-4-4-12 hex', async (field, value) => {
      const res = await put({ ...BEARER, [field]: value }).expect(400);
      expect(res.body.errors).toContainEqual({
        field,
        message: expect.stringContaining(`${field} must be a GUID`),
      });
    });
  });

  describe('intranet addresses without a top-level domain', () => {
    it('sends from noreply@localhost with replies to it@intranet', async () => {
      peer = await startSmtpPeer();
      await put({
        ...BASIC,
        hostname: peer.host,
        port: peer.port,
        senderEmail: 'noreply@localhost',
        replyTo: 'it@intranet',
      }).expect(200);
      await ctx.app.get(MailerService).send({ to: 'admin@example.com', subject: 'hi', text: 'x' });
      const [message] = await peer.waitForMessages(1);
      expect(message!.envelope.from).toBe('noreply@localhost');
      expect(message!.headers.replyTo).toBe('it@intranet');
    });

    it.each([
      ['senderEmail', 'noreply@'],
      ['senderEmail', 'noreply@[127.0.0.1]'],
      ['replyTo', 'it@intra net'],
    ])('still refuses %s %s', async (field, value) => {
      const res = await put({ ...BASIC, [field]: value }).expect(400);
      expect(res.body.errors).toContainEqual({
        field,
        message: `${field} must be a valid email address`,
      });
    });
  });
});
