import type { LoggerService } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
// Types only: this module is loaded by everyone who imports the package, with or without `pg`.
import type { Client, ClientConfig, Notification } from 'pg';
import { messageOf } from '../../internal/message-of';
import { pgClientClass, type PostgresPool } from '../../postgres/postgres-pool';
import { quote } from '../../postgres/postgres-identifier';
import type { Queryable } from './postgres-sql';

export interface ListenClientOptions {
  /** Its options (host, credentials, TLS) configure the listener connection. */
  pool: PostgresPool;
  channel: string;
  /** The `application_name` of the listener connection. */
  applicationName: string;
  initialDelayMs: number;
  maxDelayMs: number;
  logger: LoggerService;
  /** Waits until the tables exist, before each connection. */
  ready(): Promise<void>;
  /**
   * Runs on each new connection once it listens: changes made while not listening sent notifications
   * nobody heard. Should report nothing once `signal` aborts.
   */
  caughtUp(client: Queryable, signal: AbortSignal): Promise<void>;
  /** A notification of the channel: the tenant and its new version. */
  notified(tenant: string, version: number): void;
}

/**
 * `LISTEN`s on a connection of its own (not one of the pool's). When that connection is lost, it
 * reconnects with back-off and catches up.
 */
export class ListenClient {
  private listening?: { abort: AbortController; done: Promise<void> };
  private stopped: Promise<void> = Promise.resolve();

  constructor(private readonly options: ListenClientOptions) {}

  start(): void {
    if (this.listening) return;
    const abort = new AbortController();
    // A listener connection still shutting down finishes first: never two at once.
    const done = this.stopped
      .then(() => this.listen(abort.signal))
      .catch((error: unknown) =>
        this.options.logger.error(`Stopped listening for settings changes: ${messageOf(error)}`),
      );
    this.listening = { abort, done };
  }

  /** Resolves once the connection is closed. */
  stop(): Promise<void> {
    const listening = this.listening;
    if (!listening) return this.stopped;
    this.listening = undefined;
    listening.abort.abort();
    this.stopped = listening.done;
    return this.stopped;
  }

  /** Keeps one listener connection open until `signal` aborts, reconnecting with back-off. */
  private async listen(signal: AbortSignal): Promise<void> {
    const { logger, initialDelayMs, maxDelayMs } = this.options;
    let attempt = 0;
    let listenedBefore = false;
    while (!signal.aborted) {
      let listened = false;
      try {
        await this.options.ready();
        if (signal.aborted) break;
        await this.listenOnce(signal, () => {
          if (listenedBefore) logger.log('Listening for settings changes again');
          listenedBefore = listened = true;
          attempt = 0;
        });
      } catch (error) {
        if (signal.aborted) break;
        logger.warn(
          listened
            ? `Lost the connection that listens for settings changes (${messageOf(error)}); reconnecting`
            : `Could not listen for settings changes (${messageOf(error)}); trying again`,
        );
      }
      if (signal.aborted) break;
      const delay = Math.min(maxDelayMs, initialDelayMs * 2 ** attempt++);
      await sleep(delay, undefined, { signal }).catch(() => undefined);
    }
  }

  /** One listener connection. Rejects when it is lost or cannot be opened, or `signal` aborts. */
  private async listenOnce(signal: AbortSignal, onListening: () => void): Promise<never> {
    const client = this.createClient();
    const ended = new Promise<never>((_resolve, reject) => {
      // Stays attached: a dead connection may emit more than once, and an unheard error throws.
      client.on('error', reject);
      client.once('end', () => reject(new Error('the connection ended')));
    });
    ended.catch(() => undefined);
    // Every step races the end of the connection: pg never settles `connect()` for a client that
    // is ended while connecting.
    const step = <T>(promise: Promise<T>) => Promise.race([promise, ended]);
    const stop = () => void client.end().catch(() => undefined);
    signal.addEventListener('abort', stop, { once: true });
    try {
      await step(client.connect());
      client.on('notification', (message) => this.onNotification(message));
      await step(client.query(`LISTEN ${quote(this.options.channel)}`));
      onListening();
      await step(this.options.caughtUp(client, signal));
      return await ended;
    } finally {
      signal.removeEventListener('abort', stop);
      await client.end().catch(() => undefined);
    }
  }

  private createClient(): Client {
    // Configured like the pool's own clients (host, credentials, TLS), with a name of its own.
    const { pool, applicationName } = this.options;
    type ClientClass = new (c: ClientConfig) => Client;
    const options = pool.options as ClientConfig & { Client?: ClientClass };
    const PgClient =
      options.Client ??
      (pool as { Client?: ClientClass }).Client ??
      (pgClientClass() as ClientClass);
    return new PgClient({
      ...options,
      application_name: applicationName,
      keepAlive: true,
      connectionTimeoutMillis: options.connectionTimeoutMillis || 10_000,
    });
  }

  private onNotification(message: Notification): void {
    if (message.channel !== this.options.channel || !message.payload) return;
    let payload: unknown;
    try {
      payload = JSON.parse(message.payload);
    } catch {
      return;
    }
    // The payload names the tenant `scope`: replicas of every release send and read that key.
    if (
      typeof payload === 'object' &&
      payload !== null &&
      'scope' in payload &&
      'version' in payload &&
      typeof payload.scope === 'string' &&
      typeof payload.version === 'number'
    ) {
      this.options.notified(payload.scope, payload.version);
    }
  }
}
