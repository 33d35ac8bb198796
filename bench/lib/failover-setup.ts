import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import {
  InMemorySmtpSettingsStore,
  SmtpSettingsModule,
  type SmtpSettingsModuleOptions,
} from '../../lib';
import { FAILOVER_CLOCK } from '../../lib/transport/failover-circuits';

/** How a main connection cannot take a message, as the failover benchmark plays it. */
export type MainDown = 'refused' | 'greets 421' | 'never greets';

/** A main server that is down in one way, counting the connections that reach it. */
export interface DownServer {
  readonly host: string;
  readonly port: number;
  /** TCP connections accepted (always 0 for `refused`: nothing listens). */
  connections: number;
  close(): Promise<void>;
}

/**
 * `refused`: a port where nothing listens (a server started and closed again); `greets 421`: one
 * that answers every connection `421` and hangs up; `never greets`: one that accepts TCP and says
 * nothing, so that only the attempt's deadline ends the wait.
 */
export async function startDownServer(way: MainDown): Promise<DownServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    down.connections++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
    if (way === 'greets 421') socket.end('421 4.3.2 Too busy, try again later\r\n');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const close = async () => {
    for (const socket of sockets) socket.destroy();
    if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  const down: DownServer = { host: '127.0.0.1', port, connections: 0, close };
  if (way === 'refused') await close();
  return down;
}

export interface FailoverApp {
  app: INestApplication;
  /** The circuits' clock (epoch ms): the benchmark moves it instead of waiting a minute. */
  clock: { now: number };
}

/** The module on an in-memory store with the circuits' clock injected: no routes, no logs. */
export async function createFailoverApp(
  options: Partial<SmtpSettingsModuleOptions>,
): Promise<FailoverApp> {
  const clock = { now: Date.now() };
  const moduleRef = await Test.createTestingModule({
    imports: [
      SmtpSettingsModule.forRoot({
        store: new InMemorySmtpSettingsStore(),
        encryptionKey: randomBytes(32).toString('base64'),
        routes: false,
        ...options,
      }),
    ],
  })
    .overrideProvider(FAILOVER_CLOCK)
    .useValue(() => clock.now)
    .compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return { app, clock };
}
