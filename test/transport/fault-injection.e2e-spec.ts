import request from 'supertest';
import { MailerService, type MailEvent, type SmtpSettingsModuleOptions } from '../../lib';
import { ADMIN_TOKEN } from '../fixtures/admin.guard';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';
import { startSmtpPeer, type SmtpPeer, type SmtpPeerOptions } from '../fixtures/smtp-peer';

const AUTH = { Authorization: `Bearer ${ADMIN_TOKEN}` };

describe('Faults in the SMTP peer', () => {
  const peers: SmtpPeer[] = [];
  const apps: SettingsApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.app.close()));
    await Promise.all(peers.splice(0).map((p) => p.close()));
  });

  async function setup(
    peerOptions: SmtpPeerOptions,
    options: Partial<SmtpSettingsModuleOptions> = {},
  ) {
    const peer = await startSmtpPeer(peerOptions);
    peers.push(peer);
    const ctx = await createSettingsApp({
      retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
      ...options,
    });
    apps.push(ctx);
    await request(ctx.app.getHttpServer())
      .put('/smtp-settings')
      .set(AUTH)
      .send({
        type: 'basic',
        hostname: peer.host,
        port: peer.port,
        username: 'u',
        password: 'p',
        senderEmail: 'noreply@example.com',
        useTls: false,
      })
      .expect(200);
    const mailer = ctx.app.get(MailerService);
    const events: MailEvent[] = [];
    mailer.events$.subscribe((e) => events.push(e));
    return { peer, mailer, events };
  }

  it('retries a connection dropped in the middle of DATA, and delivers once', async () => {
    const { peer, mailer, events } = await setup({ dropMidData: 1 });
    // Large enough that the drop comes while the message is still being written: a drop after
    // the whole message is in has an unknown outcome and is never retried.
    const result = await mailer.send({
      to: 'a@example.com',
      subject: 'dropped',
      text: 'x',
      attachments: [{ filename: 'large.bin', content: Buffer.alloc(8_000_000, 7) }],
    });
    expect(result.accepted).toEqual(['a@example.com']);
    expect(peer.messages.map((m) => m.headers.subject)).toEqual(['dropped']);
    expect(events).toEqual([expect.objectContaining({ type: 'sent', attempts: 2 })]);
  });

  it('retries a 421 at the end of DATA, and delivers once', async () => {
    const { peer, mailer } = await setup({
      failFirst: { count: 2, code: 421, message: 'Service shutting down', at: 'data' },
    });
    await mailer.send({ to: 'a@example.com', text: 'x' });
    expect(peer.messages).toHaveLength(1);
  });

  it('gives up after the configured attempts and reports the failure', async () => {
    const { peer, mailer, events } = await setup({
      failFirst: { count: 5, code: 451, message: 'Local error' },
    });
    await expect(mailer.send({ to: 'a@example.com', text: 'x' })).rejects.toMatchObject({
      responseCode: 451,
    });
    expect(peer.messages).toHaveLength(0);
    expect(events).toEqual([expect.objectContaining({ type: 'failed', attempts: 3 })]);
  });

  it('retries a server that stalls past the socket timeout', async () => {
    let stalled = 0;
    const { peer, mailer, events } = await setup(
      {
        // The first MAIL FROM is never answered; every other reply comes far within 2 s, even on a
        // loaded machine, so only that silence can trip the timeout.
        onMailFrom: () => (stalled++ === 0 ? new Promise<void>(() => undefined) : undefined),
      },
      { pool: { socketTimeout: 2000 } },
    );
    await mailer.send({ to: 'a@example.com', subject: 'after stall', text: 'x' });
    expect(peer.messages.map((m) => m.headers.subject)).toEqual(['after stall']);
    expect(events).toEqual([expect.objectContaining({ type: 'sent', attempts: 2 })]);
  });

  it('reports exactly which recipients a 452 refused, and delivers to the rest', async () => {
    const { peer, mailer } = await setup({
      rejectRecipients: (a) => (a.startsWith('full') ? 452 : undefined),
    });
    const result = await mailer.send({
      to: ['ok1@example.com', 'full1@example.com', 'ok2@example.com', 'full2@example.com'],
      text: 'x',
    });
    expect(result.accepted).toEqual(['ok1@example.com', 'ok2@example.com']);
    expect(result.rejected).toEqual(['full1@example.com', 'full2@example.com']);
    expect(peer.messages[0]!.envelope.to).toEqual(['ok1@example.com', 'ok2@example.com']);
  });

  it('never reports a message sent that the server did not accept', async () => {
    const { peer, mailer, events } = await setup({ rejectRecipients: () => 452 });
    await expect(
      mailer.send({ to: ['a@example.com', 'b@example.com'], text: 'x' }),
    ).rejects.toMatchObject({ code: 'EENVELOPE' });
    expect(peer.messages).toHaveLength(0);
    expect(events.map((e) => e.type)).toEqual(['failed']);
  });

  it('fails a permanent rejection of the content at once', async () => {
    const { peer, mailer, events } = await setup({
      failFirst: { count: 1, code: 554, message: 'Message rejected as spam', at: 'data' },
    });
    await expect(mailer.send({ to: 'a@example.com', text: 'x' })).rejects.toMatchObject({
      responseCode: 554,
    });
    expect(peer.messages).toHaveLength(0);
    expect(events).toEqual([expect.objectContaining({ type: 'failed', attempts: 1 })]);
  });
});

describe('Admin actions that reach other hosts', () => {
  let ctx: SettingsApp;
  let peer: SmtpPeer;
  beforeEach(async () => {
    peer = await startSmtpPeer();
    // An hour: the budget cannot refill while the test runs, however slowly.
    ctx = await createSettingsApp({ adminActionsRateLimit: { limit: 2, windowMs: 3_600_000 } });
    await request(ctx.app.getHttpServer())
      .put('/smtp-settings')
      .set(AUTH)
      .send({
        type: 'basic',
        hostname: peer.host,
        port: peer.port,
        username: 'u',
        password: 'p',
        senderEmail: 'noreply@example.com',
        useTls: false,
      })
      .expect(200);
  });
  afterEach(async () => {
    await ctx.app.close();
    await peer.close();
  });

  it('are rate-limited per admin, verify and test-email alike', async () => {
    const http = ctx.app.getHttpServer();
    await request(http).post('/smtp-settings/verify').set(AUTH).expect(200);
    await request(http)
      .post('/smtp-settings/test-email')
      .set(AUTH)
      .send({ to: 'a@example.com' })
      .expect(200);
    await request(http).post('/smtp-settings/verify').set(AUTH).expect(429);
    await request(http)
      .post('/smtp-settings/test-email')
      .set(AUTH)
      .send({ to: 'a@example.com' })
      .expect(429);
    // Another admin has a budget of their own; reading is never limited.
    await request(http)
      .post('/smtp-settings/verify')
      .set(AUTH)
      .set('X-Admin-Name', 'bob')
      .expect(200);
    await request(http).get('/smtp-settings').set(AUTH).expect(200);
    expect(peer.messages).toHaveLength(1);
  });

  it('refuses an oversized body with 413, not 500', async () => {
    await request(ctx.app.getHttpServer())
      .put('/smtp-settings')
      .set(AUTH)
      .send({ type: 'basic', hostname: 'x'.repeat(300_000) })
      .expect(413);
  });
});
