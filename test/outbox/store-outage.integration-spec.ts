import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { MailerService, OutboxService, OutboxUnavailableError } from '../lib';
import {
  busiestWindow,
  listAll,
  OUTBOX_BACKENDS,
  outboxPlace,
  TEST_REDIS_URL,
  until,
} from './fixtures/outbox-kit';
import { TEST_DATABASE_URL } from './fixtures/postgres';
import { createSettingsApp, type SettingsApp } from './fixtures/settings-app';
import { startSmtpPeer, type SmtpPeer } from './fixtures/smtp-peer';

/** A TCP proxy in front of the queue's store, to take the store away and bring it back. */
class StoreProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(
    private readonly host: string,
    private readonly targetPort: number,
  ) {}

  async start(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = createConnection(this.targetPort, this.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    this.server.listen(this.port, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as { port: number }).port;
  }

  /** Stops listening and cuts every open connection: the store is gone. */
  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}

function viaProxy(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.hostname = '127.0.0.1';
  parsed.port = String(port);
  return parsed.toString();
}

describe.each(OUTBOX_BACKENDS)('The outbox on %s when its store goes away', (backend) => {
  const place = outboxPlace(backend, 'storeout');
  const target = new URL(backend === 'redis' ? TEST_REDIS_URL : TEST_DATABASE_URL);
  const proxy = new StoreProxy(target.hostname, Number(target.port));
  let peer: SmtpPeer;
  let ctx: SettingsApp | undefined;
  const arrivals: number[] = [];

  beforeAll(async () => {
    await proxy.start();
    peer = await startSmtpPeer({ onData: () => void arrivals.push(Date.now()) });
    ctx = await createSettingsApp({
      relay: {
        transport: `smtp://${peer.host}:${peer.port}`,
        from: 'relay@vendor.example.com',
        rateLimit: { limit: 3, windowMs: 400 },
      },
      retry: { attempts: 1 },
      outbox: {
        ...place.options(),
        connection: viaProxy(place.connection, proxy.port),
        alerts: { oldestWaitingMs: 150 },
      },
    });
  });

  afterAll(async () => {
    await ctx?.app.close();
    await proxy.stop();
    await peer?.close();
    await place.drop();
  });

  it('rejects enqueue with OUTBOX_UNAVAILABLE (503) while the store is down, never a silent drop, and queues again once it is back', async () => {
    const mailer = ctx!.app.get(MailerService);
    const outbox = ctx!.app.get(OutboxService);
    const before = await mailer.enqueue({ to: 'before@example.com', subject: 'Before', text: 'x' });
    await until(async () => (await outbox.get(before.id))?.status === 'sent', 'sent');

    await proxy.stop();
    const started = Date.now();
    const refused = mailer.enqueue({ to: 'during@example.com', subject: 'During', text: 'x' });
    await expect(refused).rejects.toBeInstanceOf(OutboxUnavailableError);
    await expect(refused).rejects.toMatchObject({ code: 'OUTBOX_UNAVAILABLE', status: 503 });
    expect(Date.now() - started).toBeLessThan(11_000);
    await expect(refused).rejects.not.toThrow(/127\.0\.0\.1:\d+\/|postgres:\/\/|redis:\/\//);

    await proxy.start();
    await until(
      async () =>
        mailer.enqueue({ to: 'after@example.com', subject: 'After', text: 'x' }).then(
          () => true,
          () => false,
        ),
      'an enqueue once the store is back',
      20_000,
    );
    await until(async () => peer.messages.some((m) => m.headers.subject === 'After'), 'After');
    expect(peer.messages.filter((m) => m.headers.subject === 'During')).toHaveLength(0);
    expect((await listAll(outbox, 'default')).map((e) => e.subject)).not.toContain('During');
  }, 40_000);

  it('keeps the relay’s rateLimit across the worker, and raises a backlog alert while messages wait', async () => {
    const mailer = ctx!.app.get(MailerService);
    const outbox = ctx!.app.get(OutboxService);
    const alerts: string[] = [];
    const subscription = outbox.alerts$.subscribe((alert) => alerts.push(alert.type));
    const from = arrivals.length;
    try {
      for (let i = 0; i < 9; i++) {
        await mailer.enqueue({ to: `r${i}@example.com`, subject: `Limited ${i}`, text: 'x' });
      }
      await until(() => arrivals.length - from >= 9, 'nine messages', 15_000);
    } finally {
      subscription.unsubscribe();
    }
    const times = arrivals.slice(from);
    // Three per 400 ms, counted when granted; arrivals lag grants by the send, which varies, so
    // the check leaves it 200 ms. Without the limit all nine would arrive within a few ms.
    expect(busiestWindow(times, 200)).toBeLessThanOrEqual(3);
    expect(times[8]! - times[0]!).toBeGreaterThanOrEqual(700);
    expect((await outbox.summary()).rateLimit).toMatchObject({ limit: 3, windowMs: 400 });
    expect(alerts).toContain('backlog');
  }, 30_000);
});
