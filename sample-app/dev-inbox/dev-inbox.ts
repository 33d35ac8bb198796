import { Inject, Injectable, Logger, Optional, type OnApplicationShutdown } from '@nestjs/common';
import { simpleParser, type AddressObject } from 'mailparser';
import type { Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { InjectSampleConfig, type SampleConfig } from '../sample.config';
import { SampleConfigError } from '../sample-config.error';

/** A message as the inbox page shows it. */
export interface InboxMessage {
  id: number;
  receivedAt: string;
  /** The SMTP envelope: Bcc recipients appear only here. */
  envelope: { from: string; to: string[] };
  from: string;
  to: string;
  cc: string;
  replyTo: string;
  subject: string;
  /** The Message-ID header: the outbox sets it at enqueue, and the send log shows the same one. */
  messageId: string | null;
  text: string;
  html: string | null;
  /** The username the client authenticated with, if it did (the password is never kept). */
  authenticatedAs: string | null;
}

export interface DevInboxAddress {
  host: string;
  port: number;
}

const HOST = '127.0.0.1';

/**
 * Where bootstrap learns about an inbox that started listening: if the app then fails to start, no
 * lifecycle hook runs, so bootstrap closes it itself.
 */
export const STARTED_INBOXES = 'SAMPLE_APP:STARTED_INBOXES';
export type StartedInboxes = Set<DevInbox>;
/** Messages kept in memory; older ones are dropped. */
export const DEV_INBOX_CAPACITY = 100;
const MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

/**
 * A local SMTP server that accepts every message (and any AUTH) and keeps the last ones in memory,
 * so that the sample app runs without an outside SMTP server. Plaintext only: point settings at it
 * with "Send using TLS" off. Enabled when SMTP_RELAY_URL is unset.
 */
@Injectable()
export class DevInbox implements OnApplicationShutdown {
  private readonly logger = new Logger('DevInbox');
  private readonly messages: InboxMessage[] = [];
  private nextId = 1;
  private server?: SMTPServer;
  private listening?: Promise<DevInboxAddress>;
  private readonly sockets = new Set<Socket>();

  constructor(
    @InjectSampleConfig() private readonly config: SampleConfig,
    @Optional() @Inject(STARTED_INBOXES) private readonly started?: StartedInboxes,
  ) {}

  get enabled(): boolean {
    return this.config.relay === undefined;
  }

  get capacity(): number {
    return DEV_INBOX_CAPACITY;
  }

  /** Starts listening once; later calls return the same address. */
  start(): Promise<DevInboxAddress> {
    this.listening ??= this.listen();
    return this.listening;
  }

  /** Newest first. */
  list(): InboxMessage[] {
    return [...this.messages].reverse();
  }

  clear(): void {
    this.messages.length = 0;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  /** Stops listening and ends every connection; safe to call twice. */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.started?.delete(this);
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private async listen(): Promise<DevInboxAddress> {
    const server = new SMTPServer({
      name: 'localhost',
      banner: 'nest-smtp-settings sample app dev inbox',
      logger: false,
      disableReverseLookup: true,
      // No certificate: plaintext only, so STARTTLS is neither offered nor accepted.
      hideSTARTTLS: true,
      disabledCommands: ['STARTTLS'],
      authOptional: true,
      allowInsecureAuth: true,
      size: MAX_MESSAGE_BYTES,
      onAuth: (auth, _session, callback) => callback(null, { user: auth.username ?? 'anonymous' }),
      onData: (stream, session, callback) => {
        simpleParser(stream).then(
          (parsed) => {
            this.keep({
              id: this.nextId++,
              receivedAt: new Date().toISOString(),
              envelope: {
                from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
                to: session.envelope.rcptTo.map((r) => r.address),
              },
              from: addresses(parsed.from),
              to: addresses(parsed.to),
              cc: addresses(parsed.cc),
              replyTo: addresses(parsed.replyTo),
              subject: parsed.subject ?? '',
              messageId: parsed.messageId ?? null,
              text: parsed.text ?? '',
              html: typeof parsed.html === 'string' ? parsed.html : null,
              authenticatedAs: typeof session.user === 'string' ? session.user : null,
            });
            callback();
          },
          (error: Error) => callback(error),
        );
      },
    });
    // A failure to listen is reported once, below; later errors are one client's connection.
    server.on('error', (error) => {
      if (this.server === server) this.logger.warn(`SMTP connection error: ${error.message}`);
    });
    server.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          new SampleConfigError(
            `The dev inbox cannot listen on ${HOST}:${this.config.devInboxPort} (${error.code ?? error.message}). ` +
              'Set DEV_INBOX_PORT to a free port (0 picks one), or SMTP_RELAY_URL to use a real relay.',
          ),
        ),
      );
      server.listen(this.config.devInboxPort, HOST, () => resolve());
    });
    this.server = server;
    this.started?.add(this);
    const address = server.server.address();
    if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
    return { host: HOST, port: address.port };
  }

  private keep(message: InboxMessage): void {
    this.messages.push(message);
    if (this.messages.length > DEV_INBOX_CAPACITY) this.messages.shift();
  }
}

function addresses(value: AddressObject | AddressObject[] | undefined): string {
  if (!value) return '';
  return (Array.isArray(value) ? value : [value]).map((a) => a.text).join(', ');
}
