import {
  MailerService,
  SmtpSettingsService,
  type MailEvent,
  type SmtpSettingsModuleOptions,
} from '../../lib';
import { EventEmitter } from 'node:events';
import { ChannelSlots } from '../../lib/transport/channel-slots';
import { fakeDateOnly } from '../fixtures/fake-date';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';
import { startSmtpPeer, type SmtpPeer, type SmtpPeerOptions } from '../fixtures/smtp-peer';

const PASSWORD = 'tenant-password';
const INTERLEAVED_MESSAGES = 200;
/** A pooled send takes under 10 ms on a quiet machine; 30× that leaves room for a loaded one. */
const MESSAGE_BUDGET_MS = 300;

interface TenantPeer extends SmtpPeer {
  /** Resolves once `count` of the peer's connections have closed. */
  closed(count: number): Promise<void>;
}

/** A reply the server holds back until `release()`; `arrived` resolves once a message waits on it. */
function heldReply() {
  let arrive!: () => void;
  let release!: () => void;
  const arrived = new Promise<void>((resolve) => (arrive = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  return {
    arrived,
    release,
    hold: () => {
      arrive();
      return released;
    },
  };
}

describe('The live transport per tenant', () => {
  const peers: SmtpPeer[] = [];
  const apps: SettingsApp[] = [];

  afterEach(async () => {
    jest.restoreAllMocks();
    jest.useRealTimers();
    await Promise.all(apps.splice(0).map((a) => a.app.close()));
    await Promise.all(peers.splice(0).map((p) => p.close()));
  });

  async function peer(options: SmtpPeerOptions = {}): Promise<TenantPeer> {
    // A pool closing shows at the peer only as a connection ending, which smtp-server reports here.
    const closes = new EventEmitter();
    let closed = 0;
    const started = await startSmtpPeer({
      users: { mailer: PASSWORD },
      ...options,
      serverOptions: {
        ...options.serverOptions,
        onClose: () => void closes.emit('close', ++closed),
      },
    });
    peers.push(started);
    return Object.assign(started, {
      closed: (count: number) =>
        new Promise<void>((resolve) => {
          if (closed >= count) return resolve();
          const check = (total: number) => {
            if (total < count) return;
            closes.off('close', check);
            resolve();
          };
          closes.on('close', check);
        }),
    });
  }

  async function app(options: Partial<SmtpSettingsModuleOptions> = {}) {
    const ctx = await createSettingsApp({
      retry: { attempts: 1 },
      pool: { maxConnections: 1 },
      ...options,
    });
    apps.push(ctx);
    const settings = ctx.app.get(SmtpSettingsService);
    return {
      ...ctx,
      mailer: ctx.app.get(MailerService),
      settings,
      /** Saves `target` as the tenant's server. */
      configure: (tenant: string, target: SmtpPeer, extra: Record<string, unknown> = {}) =>
        settings.update(
          {
            type: 'basic',
            hostname: target.host,
            port: target.port,
            username: 'mailer',
            password: PASSWORD,
            senderEmail: `noreply@${tenant}.example.com`,
            useTls: false,
            ...extra,
          },
          { tenant },
        ),
    };
  }

  const subjectsOf = (server: SmtpPeer) => server.messages.map((m) => m.headers.subject);

  it("sends each tenant's mail through its own server only, with its sender, and says so in every event", async () => {
    const [acmeServer, globexServer] = [await peer(), await peer()];
    const ctx = await app();
    await ctx.configure('acme', acmeServer);
    await ctx.configure('globex', globexServer);
    await ctx.configure('globex', globexServer, { senderName: 'Globex' });
    const events: MailEvent[] = [];
    ctx.mailer.events$.subscribe((e) => events.push(e));

    const acme = await ctx.mailer.send(
      { to: 'a@example.com', subject: 'acme 1', text: 'x' },
      {
        tenant: 'acme',
      },
    );
    const globex = await ctx.mailer
      .forTenant('globex')
      .send({ to: 'b@example.com', subject: 'globex 1', text: 'x' });

    expect(acme).toMatchObject({ route: 'custom', settingsVersion: 1 });
    expect(globex).toMatchObject({ route: 'custom', settingsVersion: 2 });
    expect(subjectsOf(acmeServer)).toEqual(['acme 1']);
    expect(subjectsOf(globexServer)).toEqual(['globex 1']);
    expect(acmeServer.messages[0]!.envelope.from).toBe('noreply@acme.example.com');
    expect(globexServer.messages[0]!.headers.from).toBe('Globex <noreply@globex.example.com>');
    expect(events).toEqual([
      expect.objectContaining({ type: 'sent', tenant: 'acme', settingsVersion: 1 }),
      expect.objectContaining({ type: 'sent', tenant: 'globex', settingsVersion: 2 }),
    ]);
    await expect(ctx.mailer.forTenant('globex').status()).resolves.toMatchObject({
      route: 'custom',
      settingsVersion: 2,
      lastError: null,
      lastSuccessAt: expect.any(String),
    });
  });

  it(
    `keeps every tenant's mail on its own servers while ${INTERLEAVED_MESSAGES} messages and 10 saves each interleave`,
    async () => {
      const servers = {
        acme: [await peer(), await peer()],
        globex: [await peer(), await peer()],
      };
      const ctx = await app({ pool: { maxConnections: 3 } });
      await ctx.configure('acme', servers.acme[0]!);
      await ctx.configure('globex', servers.globex[0]!);
      const sends: Array<Promise<unknown>> = [];
      for (let i = 0; i < INTERLEAVED_MESSAGES; i++) {
        const tenant = i % 2 === 0 ? 'acme' : 'globex';
        const sent = ctx.mailer.send(
          { to: 'x@example.com', subject: `${tenant} ${i}`, text: 'x' },
          { tenant },
        );
        // Settled below; a failed save must not leave it unhandled meanwhile.
        sent.catch(() => undefined);
        sends.push(sent);
        // After every ten messages of each, both tenants move to their other server.
        if (i % 20 === 10) {
          const save = (i - 10) / 20;
          await ctx.configure('acme', servers.acme[(save + 1) % 2]!);
          await ctx.configure('globex', servers.globex[(save + 1) % 2]!);
        }
      }
      const results = await Promise.allSettled(sends);
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      for (const [tenant, own] of Object.entries(servers)) {
        const received = own.flatMap(subjectsOf);
        expect(received).toHaveLength(INTERLEAVED_MESSAGES / 2);
        // Both of its servers took some: the saves really moved the tenant between them.
        expect(own.map((server) => server.messages.length > 0)).toEqual([true, true]);
        expect(received.every((subject) => subject?.startsWith(`${tenant} `))).toBe(true);
      }
      expect((await ctx.settings.get('acme')).version).toBe(11);
    },
    INTERLEAVED_MESSAGES * MESSAGE_BUDGET_MS,
  );

  it("fails a tenant with a wrong password without touching another tenant's pool", async () => {
    const [acmeServer, globexServer] = [await peer(), await peer()];
    const ctx = await app();
    await ctx.configure('globex', globexServer);
    await ctx.mailer.send({ to: 'b@example.com', text: 'x' }, { tenant: 'globex' });
    expect(globexServer.connections).toBe(1);

    await ctx.configure('acme', acmeServer, { password: 'wrong' });
    const acme = ctx.mailer.forTenant('acme');
    const [failed, sent] = await Promise.allSettled([
      acme.send({ to: 'a@example.com', text: 'x' }),
      ctx.mailer.send({ to: 'b@example.com', text: 'x' }, { tenant: 'globex' }),
    ]);
    expect(failed).toMatchObject({ status: 'rejected', reason: { code: 'EAUTH' } });
    expect(sent).toMatchObject({ status: 'fulfilled', value: { route: 'custom' } });
    expect(globexServer.connections).toBe(1);
    expect(globexServer.messages).toHaveLength(2);
    expect((await acme.status()).lastError).toMatchObject({ code: 'EAUTH' });
    expect((await ctx.mailer.status('globex')).lastError).toBeNull();
  });

  it("retires only the changed tenant's channel: the other tenant's pool keeps its connection", async () => {
    const [acmeServer, acmeNext, globexServer] = [await peer(), await peer(), await peer()];
    const ctx = await app();
    await ctx.configure('acme', acmeServer);
    await ctx.configure('globex', globexServer);
    await ctx.mailer.send({ to: 'a@example.com', text: 'x' }, { tenant: 'acme' });
    await ctx.mailer.send({ to: 'b@example.com', text: 'x' }, { tenant: 'globex' });

    await ctx.configure('acme', acmeNext);
    await ctx.mailer.send({ to: 'a@example.com', text: 'x' }, { tenant: 'acme' });
    await ctx.mailer.send({ to: 'b@example.com', text: 'x' }, { tenant: 'globex' });

    expect(acmeNext.messages).toHaveLength(1);
    await acmeServer.closed(1);
    expect(acmeServer.openConnections).toBe(0);
    expect(globexServer.connections).toBe(1);
    expect(globexServer.openConnections).toBe(1);
    expect(globexServer.messages).toHaveLength(2);
  });

  it('keeps at most maxOpenRoutes pools open, closes the least recently used, idle ones first, busy ones after their messages', async () => {
    // The first two tenants' servers hold their reply to a message until the test lets it go, so
    // that it is in flight for as long as the test needs.
    const held = [heldReply(), heldReply()];
    const servers = [
      ...(await Promise.all(held.map(({ hold }) => peer({ onData: hold })))),
      ...(await Promise.all([1, 2, 3].map(() => peer()))),
    ];
    const ctx = await app({ maxOpenRoutes: 2 });
    const tenants = servers.map((_, i) => `tenant-${i}`);
    for (const [i, tenant] of tenants.entries()) await ctx.configure(tenant, servers[i]!);
    const send = (i: number) =>
      ctx.mailer.send(
        { to: 'x@example.com', subject: `to ${i}`, text: 'x' },
        { tenant: tenants[i] },
      );
    // A new pool with no free slot waits for one; a registry that opened it anyway would never wait.
    let slotAwaited: (() => void) | undefined;
    const take = ChannelSlots.prototype.take;
    jest.spyOn(ChannelSlots.prototype, 'take').mockImplementation(function (
      this: ChannelSlots,
      signal,
      makeRoom,
    ) {
      const taken = take.call(this, signal, makeRoom);
      if (this.waiting > 0) slotAwaited?.();
      return taken;
    });

    const sent: string[] = [];
    ctx.mailer.events$.subscribe((e) => sent.push(e.tenant));
    const first = send(0);
    await held[0]!.arrived;
    const second = send(1);
    await held[1]!.arrived;
    // Both pools are busy: tenant-0's, the least recently used, is retired, finishes, then closes.
    const waiting = new Promise<void>((resolve) => (slotAwaited = resolve));
    const third = send(2);
    await waiting;
    held[0]!.release();
    await expect(first).resolves.toMatchObject({ route: 'custom' });
    await expect(third).resolves.toMatchObject({ route: 'custom' });
    // tenant-2's pool opened only once tenant-0's had closed: never three at once.
    expect(sent.indexOf('tenant-0')).toBeLessThan(sent.indexOf('tenant-2'));
    held[1]!.release();
    await second;
    // Both pools are idle now: each new tenant closes the least recently used of them.
    await send(3);
    await send(4);

    expect(servers.map((s) => s.messages.length)).toEqual([1, 1, 1, 1, 1]);
    expect(servers.map((s) => s.connections)).toEqual([1, 1, 1, 1, 1]);
    await Promise.all(servers.slice(0, 3).map((s) => s.closed(1)));
    expect(servers.map((s) => s.openConnections)).toEqual([0, 0, 0, 1, 1]);
    // A tenant whose pool was closed sends again, through a new pool.
    await send(2);
    expect(servers[2]!.connections).toBe(2);
    await servers[3]!.closed(1);
    expect(servers[3]!.openConnections).toBe(0);
  });

  it('closes a pool that sent nothing for routeIdleTimeoutMs, and opens it again on the next message', async () => {
    // The registry measures idleness with Date.now(): it stands still until the test moves it
    // past the idle timeout, so the pool cannot close early on a slow machine, nor late.
    fakeDateOnly();
    const idleTimeoutMs = 100;
    const server = await peer();
    const ctx = await app({ routeIdleTimeoutMs: idleTimeoutMs });
    await ctx.configure('acme', server);
    await ctx.mailer.send({ to: 'a@example.com', text: 'x' }, { tenant: 'acme' });
    expect(server.openConnections).toBe(1);
    jest.setSystemTime(Date.now() + idleTimeoutMs);
    await server.closed(1);
    expect(server.openConnections).toBe(0);
    await ctx.mailer.send({ to: 'a@example.com', text: 'x' }, { tenant: 'acme' });
    expect(server.connections).toBe(2);
    expect(server.messages).toHaveLength(2);
  });

  it('sends for tenants without settings through the one relay, with their own version', async () => {
    const [relay, own] = [await peer({ users: undefined }), await peer()];
    const ctx = await app({
      relay: { transport: `smtp://${relay.host}:${relay.port}`, from: 'relay@vendor.example.com' },
    });
    await ctx.configure('acme', own);
    await ctx.settings.reset({ tenant: 'acme' });
    const events: MailEvent[] = [];
    ctx.mailer.events$.subscribe((e) => events.push(e));

    const results = await Promise.all(
      ['acme', 'globex', 'initech'].map((tenant) =>
        ctx.mailer.send({ to: 'x@example.com', subject: tenant, text: 'x' }, { tenant }),
      ),
    );
    expect(results.map((r) => [r.route, r.settingsVersion])).toEqual([
      ['relay', 2],
      ['relay', 0],
      ['relay', 0],
    ]);
    expect(events.map((e) => e.tenant).sort()).toEqual(['acme', 'globex', 'initech']);
    expect(relay.messages).toHaveLength(3);
    // One pool for all of them.
    expect(relay.connections).toBe(1);
    expect(own.connections).toBe(0);
    await expect(ctx.mailer.status('globex')).resolves.toMatchObject({ route: 'relay' });
  });

  it("verifies and test-emails the tenant's own server, and only the tenant's", async () => {
    const [acmeServer, globexServer] = [await peer(), await peer()];
    const ctx = await app();
    await ctx.configure('acme', acmeServer);
    await ctx.configure('globex', globexServer, { password: 'wrong' });

    await expect(ctx.mailer.verify(undefined, { tenant: 'acme' })).resolves.toMatchObject({
      ok: true,
      route: 'custom',
    });
    await expect(ctx.mailer.forTenant('globex').verify()).resolves.toMatchObject({
      ok: false,
      stage: 'auth',
    });
    await expect(ctx.mailer.forTenant('initech').verify()).resolves.toMatchObject({
      ok: false,
      code: 'NO_SMTP_ROUTE',
    });
    const tested = await ctx.mailer.sendTestEmail('admin@acme.example.com', { tenant: 'acme' });
    expect(tested).toMatchObject({ ok: true, route: 'custom', settingsVersion: 1 });
    expect(acmeServer.messages.map((m) => m.envelope.to)).toEqual([['admin@acme.example.com']]);
    expect(globexServer.messages).toEqual([]);
    expect(globexServer.authAttempts.every((a) => !a.ok)).toBe(true);
  });
});
