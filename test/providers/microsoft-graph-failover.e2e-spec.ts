import request from 'supertest';
import { DeliveryFailedError, MailerService, type MailEvent, type OutboxAlert } from '../../lib';
import { ADMIN_TOKEN } from '../fixtures/admin.guard';
import { FakeEntraId, type FakeApp } from '../fixtures/fake-entra-id';
import { FakeGraph } from '../fixtures/fake-graph';
import { basicSettingsFor } from '../fixtures/peer-settings';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';

const AUTH = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const MAILBOX = 'notifications@contoso.onmicrosoft.com';
const SECRET = 'graph-failover-secret~4';
const BACKUP_PASSWORD = 'graph-backup-pw-81c2';
/** A loopback port where nothing listens (port 1 is privileged: no test server takes it). */
const UNREACHABLE = 'https://127.0.0.1:1';

/**
 * Microsoft Graph as the main connection with an SMTP backup (issue 23): when Graph cannot be
 * reached or no token can be had, the same message goes through the backup; a recipient or content
 * that Graph refuses is the message's error, not a reason to fail over.
 */
describe('Failover from Microsoft Graph to an SMTP backup', () => {
  let entra: FakeEntraId;
  let graph: FakeGraph;
  let registered: FakeApp;
  let backup: SmtpPeer;
  const apps: SettingsApp[] = [];

  beforeEach(async () => {
    entra = await FakeEntraId.start();
    registered = entra.register({
      tenantId: '9a8b7c6d-aaaa-4bbb-8ccc-ddddeeeeffff',
      clientId: '0b1e2f3a-1111-4222-8333-444455556666',
      clientSecret: SECRET,
    });
    graph = await FakeGraph.start(entra);
    graph.addMailbox(MAILBOX);
    backup = await startSmtpPeer({ users: { mailer: BACKUP_PASSWORD } });
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.app.close()));
    await Promise.all([graph.close(), backup.close()]);
    await entra.close();
  });

  async function configured({ graphHost = graph.host, clientSecret = SECRET } = {}) {
    const alerts: OutboxAlert[] = [];
    const ctx = await createSettingsApp({
      tls: { ca: entra.ca },
      retry: { attempts: 3, baseDelayMs: 5 },
      microsoft: { authorityHost: entra.authorityHost, graphHost },
      onAlert: (alert) => alerts.push(alert),
    });
    ctx.installed.add('smtp-oauth');
    apps.push(ctx);
    const http = ctx.app.getHttpServer();
    await request(http)
      .put('/smtp-settings')
      .set(AUTH)
      .send({
        type: 'bearer',
        provider: 'microsoft-graph',
        username: MAILBOX,
        senderEmail: MAILBOX,
        clientId: registered.clientId,
        clientSecret,
        tenantId: registered.tenantId,
      })
      .expect(200);
    await request(http)
      .put('/smtp-settings/backup')
      .set(AUTH)
      .send(basicSettingsFor(backup, BACKUP_PASSWORD, { senderEmail: 'noreply@backup.example' }))
      .expect(200);
    const mailer = ctx.app.get(MailerService);
    const events: MailEvent[] = [];
    mailer.events$.subscribe((event) => events.push(event));
    return { mailer, alerts, events };
  }

  const message = (subject: string, to = 'user@example.com') => ({ to, subject, text: subject });

  it('sends through the backup, as the same message, when Graph cannot be reached', async () => {
    entra.scopes.add(`${UNREACHABLE}/.default`);
    const { mailer, alerts, events } = await configured({ graphHost: UNREACHABLE });

    const result = await mailer.send(message('graph down'));

    expect(result).toMatchObject({ connection: 'backup', route: 'custom' });
    const [received] = await backup.waitForMessages(1);
    expect(received!.headers.messageId).toBe(result.messageId);
    expect(received!.envelope.from).toBe('noreply@backup.example');
    // At once: the token was had, Graph's connection refused, no retry of main.
    expect(entra.tokenRequests).toBe(1);
    expect(events).toEqual([
      expect.objectContaining({ type: 'sent', connection: 'backup', attempts: 2 }),
    ]);
    expect(alerts).toEqual([
      expect.objectContaining({ type: 'failover', tenant: 'default', reason: expect.any(String) }),
    ]);
  });

  it('sends through the backup when no token can be had for Graph', async () => {
    const { mailer, alerts } = await configured({ clientSecret: 'graph-wrong-secret~9' });

    const result = await mailer.send(message('no token'));

    expect(result.connection).toBe('backup');
    await backup.waitForMessages(1);
    expect(graph.requests).toEqual([]);
    expect(alerts.map((alert) => alert.type)).toEqual(['failover']);
  });

  it('does not fail over when Graph refuses the recipients: the error is main’s', async () => {
    const { mailer, alerts } = await configured();
    graph.script.push({
      status: 400,
      code: 'ErrorInvalidRecipients',
      message: "At least one recipient isn't valid.",
    });

    const sent = mailer.send(message('bad recipient'));

    await expect(sent).rejects.toBeInstanceOf(DeliveryFailedError);
    await expect(sent).rejects.toMatchObject({ stage: 'recipients' });
    expect(graph.requests).toHaveLength(1);
    expect(backup.connections).toBe(0);
    expect(alerts).toEqual([]);
  });

  it('does not fail over when Graph refuses the message’s content', async () => {
    const { mailer, alerts } = await configured();
    graph.addMailbox(MAILBOX, 'size-exceeded');

    const sent = mailer.send(message('too big'));

    await expect(sent).rejects.toMatchObject({
      code: 'ErrorMessageSizeExceeded',
      stage: 'message',
    });
    expect(backup.connections).toBe(0);
    expect(alerts).toEqual([]);
    // Main answered: the next message still goes to Graph first.
    graph.addMailbox(MAILBOX, 'ok');
    expect((await mailer.send(message('fits'))).connection).toBe('main');
    await graph.waitForMessages(1);
  });
});
