import { Logger } from '@nestjs/common';
import { MailerService, SmtpSettingsService, type SmtpSettingsModuleOptions } from '../../lib';
import { fakeDateOnly } from '../fixtures/fake-date';
import { FakeEntraId, type FakeApp } from '../fixtures/fake-entra-id';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';

const MAILBOX = 'notifications@contoso.onmicrosoft.com';

describe('Microsoft 365 (Bearer) per tenant', () => {
  let entra: FakeEntraId;
  let entraApp: FakeApp;
  const peers: SmtpPeer[] = [];
  const apps: SettingsApp[] = [];
  /** `tenant:upgradeId` for each upgrade installed for a tenant. */
  const installed = new Set<string>();

  beforeAll(() => {
    // A failed send logs a warning; the output stays quiet.
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  beforeEach(async () => {
    entra = await FakeEntraId.start();
    entraApp = entra.register({
      tenantId: '9a8b7c6d-aaaa-4bbb-8ccc-ddddeeeeffff',
      domain: 'contoso.onmicrosoft.com',
      clientId: '0b1e2f3a-1111-4222-8333-444455556666',
      clientSecret: 'entra-secret-value~1',
    });
    installed.clear();
  });
  afterEach(async () => {
    jest.useRealTimers();
    await Promise.all(apps.splice(0).map((a) => a.app.close()));
    await Promise.all(peers.splice(0).map((p) => p.close()));
    await entra.close();
  });
  afterAll(() => jest.restoreAllMocks());

  async function exchange(): Promise<SmtpPeer> {
    const peer = await startSmtpPeer({
      tls: 'starttls',
      authMethods: ['XOAUTH2'],
      onAuth: entra.smtpAuth(MAILBOX),
    });
    peers.push(peer);
    return peer;
  }

  async function app(options: Partial<SmtpSettingsModuleOptions> = {}) {
    const ctx = await createSettingsApp({
      tls: { ca: entra.ca },
      retry: { attempts: 1 },
      upgrades: (id, tenant) => installed.has(`${tenant}:${id}`),
      ...options,
      microsoft: { authorityHost: entra.authorityHost, ...options.microsoft },
    });
    apps.push(ctx);
    const settings = ctx.app.get(SmtpSettingsService);
    return {
      mailer: ctx.app.get(MailerService),
      configure: async (tenant: string, peer: SmtpPeer) => {
        installed.add(`${tenant}:smtp-oauth`);
        await settings.update(
          {
            type: 'bearer',
            provider: 'microsoft',
            hostname: peer.host,
            port: peer.port,
            username: MAILBOX,
            senderEmail: MAILBOX,
            clientId: entraApp.clientId,
            clientSecret: entraApp.clientSecret,
            tenantId: entraApp.tenantId,
            useTls: true,
          },
          { tenant },
        );
      },
    };
  }

  const send = (mailer: MailerService, tenant: string) =>
    mailer.send({ to: 'a@example.com', subject: tenant, text: 'x' }, { tenant });

  it("keeps each tenant's token: sends that alternate between tenants ask Entra ID once per tenant", async () => {
    const peer = await exchange();
    const ctx = await app();
    await ctx.configure('acme', peer);
    await ctx.configure('globex', peer);
    for (let i = 0; i < 3; i++) {
      await send(ctx.mailer, 'acme');
      await send(ctx.mailer, 'globex');
    }
    expect(peer.messages).toHaveLength(6);
    expect(entra.tokenRequests).toBe(2);
  });

  it("drops a tenant's token with its closed channel, so that memory does not grow with tenants", async () => {
    const peer = await exchange();
    const ctx = await app({ maxOpenRoutes: 1 });
    await ctx.configure('acme', peer);
    await ctx.configure('globex', peer);
    await send(ctx.mailer, 'acme');
    // acme's channel closes for globex's: its client and token go with it.
    await send(ctx.mailer, 'globex');
    await send(ctx.mailer, 'acme');
    expect(entra.tokenRequests).toBe(3);
  });

  it("gives each tenant its own budget for a mailbox: one tenant's sends never wait for another's", async () => {
    const peer = await exchange();
    // The limiter reads Date.now(); with Date alone stopped, a spent budget never comes back, so
    // globex's sends complete only if they do not share acme's.
    fakeDateOnly();
    const ctx = await app({ microsoft: { rateLimit: { limit: 2, windowMs: 60_000 } } });
    await ctx.configure('acme', peer);
    await ctx.configure('globex', peer);
    await send(ctx.mailer, 'acme');
    await send(ctx.mailer, 'acme');
    await Promise.all([send(ctx.mailer, 'globex'), send(ctx.mailer, 'globex')]);
    expect(peer.messages.map((m) => m.headers.subject)).toEqual([
      'acme',
      'acme',
      'globex',
      'globex',
    ]);
  });

  it("checks the upgrade of the message's tenant: removed for one tenant, it stops only that tenant", async () => {
    const peer = await exchange();
    const ctx = await app();
    await ctx.configure('acme', peer);
    await ctx.configure('globex', peer);
    installed.delete('globex:smtp-oauth');

    await expect(send(ctx.mailer, 'globex')).rejects.toMatchObject({
      code: 'DELIVERY_UNAVAILABLE',
      reason: 'upgrade-removed',
    });
    await expect(send(ctx.mailer, 'acme')).resolves.toMatchObject({ route: 'custom' });
    expect(peer.messages.map((m) => m.headers.subject)).toEqual(['acme']);
    await expect(ctx.mailer.forTenant('globex').verify()).rejects.toMatchObject({
      code: 'UPGRADE_REQUIRED',
    });
    await expect(ctx.mailer.forTenant('acme').verify()).resolves.toMatchObject({ ok: true });
  });
});
