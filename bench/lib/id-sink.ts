import type { Socket } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { trustedServerCert } from '../../test/fixtures/test-ca';
import { ID_HEADER } from './setup';

export interface IdSinkOptions {
  /** How many ids (0..ids-1) to count. */
  ids: number;
  /** `starttls` offers STARTTLS with the test CA's certificate; default plaintext. */
  tls?: 'none' | 'starttls';
  /** username → password for AUTH PLAIN/LOGIN. */
  users?: Record<string, string>;
  /** Replaces the `users` check, e.g. to accept XOAUTH2 tokens from the fake Entra ID. */
  onAuth?: SMTPServerOptions['onAuth'];
  authMethods?: string[];
}

export interface IdSink {
  readonly host: string;
  readonly port: number;
  /** How often each id arrived; ids outside 0..ids-1 or missing count in `unknown`. */
  readonly counts: Uint16Array;
  readonly unknown: number;
  readonly accepted: number;
  readonly connections: number;
  readonly openConnections: number;
  readonly errors: Error[];
  close(): Promise<void>;
}

const HEADER = new RegExp(`^${ID_HEADER}:[ \\t]*(\\d+)[ \\t]*$`, 'im');

/**
 * Like test/fixtures/smtp-peer.ts's `startSmtpSink` (accepts and discards mail as fast as it can),
 * but it reads each message's id header, so that lost and duplicated messages can be counted.
 */
export async function startIdSink(options: IdSinkOptions): Promise<IdSink> {
  const counts = new Uint16Array(options.ids);
  const totals = { accepted: 0, unknown: 0, connections: 0 };
  const sockets = new Set<Socket>();
  const errors: Error[] = [];
  const tls = options.tls ?? 'none';
  const cert = tls === 'starttls' ? await trustedServerCert() : undefined;
  const users = options.users ?? {};
  const hasAuth = options.users !== undefined || options.onAuth !== undefined;

  const server = new SMTPServer({
    name: 'localhost',
    banner: 'nest-smtp-settings bench sink',
    logger: false,
    disableReverseLookup: true,
    hideSTARTTLS: tls === 'none',
    disabledCommands: [...(tls === 'none' ? ['STARTTLS'] : []), ...(hasAuth ? [] : ['AUTH'])],
    authOptional: !hasAuth,
    authMethods: options.authMethods,
    ...(cert ? { key: cert.key, cert: cert.cert } : {}),
    onAuth:
      options.onAuth ??
      ((auth, _session, callback) =>
        callback(
          null,
          users[auth.username ?? ''] === auth.password ? { user: auth.username } : {},
        )),
    onData(stream, _session, callback) {
      let head = '';
      let id: number | undefined;
      let done = false;
      stream.on('data', (chunk: Buffer) => {
        if (done) return;
        head += chunk.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end === -1 && head.length < 64 * 1024) return;
        done = true;
        const match = HEADER.exec(end === -1 ? head : head.slice(0, end));
        id = match ? Number(match[1]) : undefined;
        head = '';
      });
      stream.on('end', () => {
        totals.accepted++;
        if (id !== undefined && id < counts.length) counts[id]!++;
        else totals.unknown++;
        callback();
      });
    },
  });
  server.on('error', (error) => errors.push(error));
  server.server.on('connection', (socket: Socket) => {
    totals.connections++;
    sockets.add(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as { port: number };
  const open = () => {
    for (const socket of sockets) if (socket.closed) sockets.delete(socket);
    return sockets.size;
  };

  return {
    host: '127.0.0.1',
    port,
    counts,
    errors,
    get unknown() {
      return totals.unknown;
    },
    get accepted() {
      return totals.accepted;
    },
    get connections() {
      return totals.connections;
    },
    get openConnections() {
      return open();
    },
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
