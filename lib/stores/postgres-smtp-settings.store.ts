import { Logger } from '@nestjs/common';
import type { LoggerService } from '@nestjs/common';
import type { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
// Types only, and none in the public API: this module is loaded by everyone who imports the
// package, with or without `pg` and `@types/pg`.
import type { Client, ClientConfig, Notification } from 'pg';
import { SettingsStoreError } from '../errors/settings-store.error';
import { SettingsVersionConflictError } from '../errors/settings-version-conflict.error';
import type { SealedSmtpSettings } from '../interfaces/smtp-settings.types';
import type {
  SmtpSettingsAction,
  SmtpSettingsChange,
  SmtpSettingsHistoryEntry,
  SmtpSettingsRecord,
  SmtpSettingsStore,
} from '../interfaces/smtp-settings-store.interface';

const DEFAULT_TABLE_PREFIX = 'smtp_settings';
const DEFAULT_LISTENER_APPLICATION_NAME = 'nest-smtp-settings:listener';
/** One lock for every store's DDL: creating tables is rare and fast, so sharing it costs nothing. */
const SCHEMA_LOCK = 'nest-smtp-settings:create-tables';
/** PostgreSQL's NAMEDATALEN - 1: longer identifiers are silently truncated. */
const MAX_IDENTIFIER_LENGTH = 63;
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** What the store needs of a `pg.PoolClient`. */
export interface PostgresPoolClient {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
  release(destroy?: boolean): void;
}

/**
 * What the store needs of a `pg.Pool`: a `pg.Pool` is one. Declared here so that the package's types
 * do not depend on `@types/pg`.
 */
export interface PostgresPool {
  readonly options: object;
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
  connect(): Promise<PostgresPoolClient>;
  end(): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

export interface PostgresSmtpSettingsStoreOptions {
  /**
   * A `pg.Pool` the application owns. The store uses it for queries and never ends it. Give either
   * `pool` or `connectionString`.
   */
  pool?: PostgresPool;
  /**
   * A connection string (`postgres://user:password@host:5432/db`) from which the store creates a pool
   * of its own, ended by `close()`. Give either `pool` or `connectionString`.
   */
  connectionString?: string;
  /**
   * The schema of the tables, created when missing. Lower-case letters, digits and `_`.
   * @default the connection's `search_path` (usually `public`)
   */
  schema?: string;
  /**
   * Names the tables `<prefix>` (one row per scope) and `<prefix>_history`. Lower-case letters,
   * digits and `_`.
   * @default 'smtp_settings'
   */
  tablePrefix?: string;
  /**
   * The `NOTIFY` channel. Replicas that share the tables must share the channel.
   * @default '<schema>.<tablePrefix>', or '<tablePrefix>' without a schema
   */
  channel?: string;
  /**
   * How many history entries to keep per scope. Older ones are deleted as new ones are written.
   * @default 100
   */
  historyLimit?: number;
  /**
   * The `application_name` of the connection that `LISTEN`s, so that it can be told apart in
   * `pg_stat_activity`.
   * @default 'nest-smtp-settings:listener'
   */
  listenerApplicationName?: string;
  /** Back-off between attempts to re-establish a lost `LISTEN` connection. */
  reconnect?: {
    /** @default 100 */
    initialDelayMs?: number;
    /** @default 2000 */
    maxDelayMs?: number;
  };
  /**
   * Receives lost and restored listener connections, and listener errors.
   * @default a Nest `Logger`
   */
  logger?: LoggerService;
}

interface RecordRow {
  scope: string;
  version: number | string;
  updated_at: string;
  updated_by: string | null;
  settings: string | null;
}

interface HistoryRow {
  version: number | string;
  at: string;
  by: string | null;
  action: SmtpSettingsAction;
  changed: string;
}

type Queryable = Pick<PostgresPool, 'query'>;

/**
 * Keeps settings in PostgreSQL, for applications that run several replicas. Every change sends a
 * `NOTIFY` carrying only the scope and the new version, so that each replica reloads within moments.
 *
 * Secrets arrive sealed, as with every store; it has no key of its own, so the module requires
 * `encryptionKey` with it. `pg` is an optional peer dependency, loaded only when this store creates
 * its own pool or listener connection.
 */
export class PostgresSmtpSettingsStore implements SmtpSettingsStore {
  readonly schema: string | undefined;
  readonly tablePrefix: string;
  readonly channel: string;
  private readonly pool: PostgresPool;
  private readonly ownsPool: boolean;
  private readonly records: string;
  private readonly historyTable: string;
  private readonly historyLimit: number;
  private readonly listenerApplicationName: string;
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly logger: LoggerService;
  private readonly listeners = new Map<string, Set<(version: number) => void>>();
  private ready?: Promise<void>;
  private listening?: { abort: AbortController; done: Promise<void> };
  private stopped: Promise<void> = Promise.resolve();
  private closing?: Promise<void>;

  constructor(options: PostgresSmtpSettingsStoreOptions) {
    if ((options.pool === undefined) === (options.connectionString === undefined)) {
      throw new Error('PostgresSmtpSettingsStore: give either `pool` or `connectionString`');
    }
    this.schema = options.schema === undefined ? undefined : identifier(options.schema, 'schema');
    this.tablePrefix = identifier(options.tablePrefix ?? DEFAULT_TABLE_PREFIX, 'tablePrefix', 8);
    const qualify = (name: string) =>
      this.schema === undefined ? quote(name) : `${quote(this.schema)}.${quote(name)}`;
    this.records = qualify(this.tablePrefix);
    this.historyTable = qualify(`${this.tablePrefix}_history`);
    this.channel = channelName(
      options.channel ??
        (this.schema === undefined ? this.tablePrefix : `${this.schema}.${this.tablePrefix}`),
    );
    this.historyLimit = options.historyLimit ?? 100;
    if (!Number.isSafeInteger(this.historyLimit) || this.historyLimit < 1) {
      throw new Error(
        'PostgresSmtpSettingsStore: historyLimit must be a whole number of at least 1',
      );
    }
    this.listenerApplicationName =
      options.listenerApplicationName ?? DEFAULT_LISTENER_APPLICATION_NAME;
    this.initialDelayMs = options.reconnect?.initialDelayMs ?? 100;
    this.maxDelayMs = options.reconnect?.maxDelayMs ?? 2_000;
    this.logger = options.logger ?? new Logger(PostgresSmtpSettingsStore.name);

    if (options.pool) {
      this.pool = options.pool;
      this.ownsPool = false;
    } else {
      this.pool = new (loadPg().Pool)({ connectionString: options.connectionString });
      this.ownsPool = true;
      // An idle client whose connection dies emits on the pool; unheard, that would end the process.
      this.pool.on('error', (error) =>
        this.logger.warn(`An idle PostgreSQL connection failed: ${messageOf(error)}`),
      );
    }
  }

  /**
   * Creates the schema and tables when they are missing. Every operation waits for it, so calling it
   * is optional: do so to fail at start-up rather than on the first request.
   */
  init(): Promise<void> {
    this.ready ??= this.createTables().catch((error: unknown) => {
      this.ready = undefined;
      throw storeError('could not create its tables', error);
    });
    return this.ready;
  }

  async get(scope: string): Promise<SmtpSettingsRecord | null> {
    this.assertOpen();
    await this.init();
    const { rows } = await this.query<RecordRow>(
      this.pool,
      `SELECT ${this.recordColumns()} FROM ${this.records} WHERE scope = $1`,
      [scope],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  put(
    scope: string,
    settings: SealedSmtpSettings,
    change: SmtpSettingsChange,
    expectedVersion?: number,
  ): Promise<SmtpSettingsRecord> {
    return this.change(scope, 'update', settings, change, expectedVersion);
  }

  delete(
    scope: string,
    change: SmtpSettingsChange,
    expectedVersion?: number,
  ): Promise<SmtpSettingsRecord> {
    return this.change(scope, 'reset', null, change, expectedVersion);
  }

  async history(scope: string, limit?: number): Promise<SmtpSettingsHistoryEntry[]> {
    this.assertOpen();
    await this.init();
    const count = Math.min(Math.max(0, limit ?? this.historyLimit), this.historyLimit);
    const { rows } = await this.query<HistoryRow>(
      this.pool,
      `SELECT version, ${utc('at')} AS at, by, action, to_json(changed)::text AS changed
         FROM ${this.historyTable} WHERE scope = $1 ORDER BY version DESC LIMIT $2`,
      [scope, count],
    );
    return rows.map((row) => ({
      version: Number(row.version),
      at: row.at,
      by: row.by,
      action: row.action,
      changed: JSON.parse(row.changed) as string[],
    }));
  }

  /**
   * `LISTEN`s on a connection of its own (not one of the pool's). When that connection is lost, it
   * reconnects with back-off and then reports the current version, since notifications sent in
   * between were missed; it does the same once listening starts.
   */
  watch(scope: string, listener: (version: number) => void): () => void {
    if (this.closing) throw new SettingsStoreError('The PostgreSQL settings store is closed');
    let set = this.listeners.get(scope);
    if (!set) this.listeners.set(scope, (set = new Set()));
    set.add(listener);
    this.startListening();
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(scope) === set) this.listeners.delete(scope);
      if (this.listeners.size === 0) void this.stopListening();
    };
  }

  /** Ends the listener connection, and the pool when the store created it. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.listeners.clear();
      await this.stopListening();
      await this.ready?.catch(() => undefined);
      if (this.ownsPool) await endPool(this.pool);
    })();
    return this.closing;
  }

  private async change(
    scope: string,
    action: SmtpSettingsAction,
    settings: SealedSmtpSettings | null,
    change: SmtpSettingsChange,
    expectedVersion: number | undefined,
  ): Promise<SmtpSettingsRecord> {
    this.assertOpen();
    await this.init();
    return this.transaction(async (client) => {
      const values = [scope, change.at, change.by, settings && JSON.stringify(settings)];
      const columns = this.recordColumns();
      let rows: RecordRow[];
      if (expectedVersion === undefined) {
        ({ rows } = await this.query<RecordRow>(
          client,
          `INSERT INTO ${this.records} AS r (scope, version, updated_at, updated_by, settings)
           VALUES ($1, 1, $2, $3, $4::jsonb)
           ON CONFLICT (scope) DO UPDATE SET version = r.version + 1,
             updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by,
             settings = EXCLUDED.settings
           RETURNING ${columns}`,
          values,
        ));
      } else if (expectedVersion === 0) {
        // Two first writes at once: the primary key lets one insert, the other finds nothing to do.
        ({ rows } = await this.query<RecordRow>(
          client,
          `INSERT INTO ${this.records} (scope, version, updated_at, updated_by, settings)
           VALUES ($1, 1, $2, $3, $4::jsonb)
           ON CONFLICT (scope) DO NOTHING
           RETURNING ${columns}`,
          values,
        ));
      } else {
        // The row lock orders concurrent updates; the loser re-checks the version and matches nothing.
        ({ rows } = await this.query<RecordRow>(
          client,
          `UPDATE ${this.records} SET version = version + 1,
             updated_at = $2, updated_by = $3, settings = $4::jsonb
           WHERE scope = $1 AND version = $5
           RETURNING ${columns}`,
          [...values, expectedVersion],
        ));
      }
      const row = rows[0];
      if (!row) {
        const current = await this.query<{ version: number | string }>(
          client,
          `SELECT version FROM ${this.records} WHERE scope = $1`,
          [scope],
        );
        throw new SettingsVersionConflictError(
          expectedVersion ?? 0,
          Number(current.rows[0]?.version ?? 0),
        );
      }
      const record = toRecord(row);
      await this.query(
        client,
        `INSERT INTO ${this.historyTable} (scope, version, at, by, action, changed)
         VALUES ($1, $2, $3, $4, $5, $6::text[])`,
        [scope, record.version, change.at, change.by, action, [...change.changed]],
      );
      // Versions of a scope are consecutive, so this keeps exactly the newest historyLimit entries.
      await this.query(
        client,
        `DELETE FROM ${this.historyTable} WHERE scope = $1 AND version <= $2`,
        [scope, record.version - this.historyLimit],
      );
      // Sent on commit, and only then: the scope and the version, never the settings.
      await this.query(
        client,
        `SELECT pg_notify($1, json_build_object('scope', $2::text, 'version', $3::int)::text)`,
        [this.channel, scope, record.version],
      );
      return record;
    });
  }

  private async transaction<T>(work: (client: PostgresPoolClient) => Promise<T>): Promise<T> {
    this.assertOpen();
    let client: PostgresPoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw storeError('could not connect', error);
    }
    let broken = false;
    try {
      await this.query(client, 'BEGIN');
      const result = await work(client);
      await this.query(client, 'COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => (broken = true));
      throw error;
    } finally {
      // A connection that cannot even roll back goes, rather than back to the pool.
      client.release(broken);
    }
  }

  private async createTables(): Promise<void> {
    this.assertOpen();
    const { rows } = await this.query<{ ready: boolean }>(
      this.pool,
      'SELECT to_regclass($1) IS NOT NULL AND to_regclass($2) IS NOT NULL AS ready',
      [this.records, this.historyTable],
    );
    // Already there: no DDL, so a role without CREATE privilege can use tables made for it.
    if (rows[0]?.ready) return;
    await this.transaction(async (client) => {
      // Concurrent CREATE ... IF NOT EXISTS can still collide (on pg_type); replicas take turns.
      await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [SCHEMA_LOCK]);
      if (this.schema !== undefined) {
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${quote(this.schema)}`);
      }
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${this.records} (
           scope text PRIMARY KEY,
           version integer NOT NULL CHECK (version > 0),
           updated_at timestamptz NOT NULL,
           updated_by text,
           settings jsonb
         )`,
      );
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${this.historyTable} (
           scope text NOT NULL,
           version integer NOT NULL,
           at timestamptz NOT NULL,
           by text,
           action text NOT NULL CHECK (action IN ('update', 'reset')),
           changed text[] NOT NULL,
           PRIMARY KEY (scope, version)
         )`,
      );
    });
  }

  /** Formatted by PostgreSQL, so that a pool with custom type parsers reads the same values. */
  private recordColumns(): string {
    return `scope, version, ${utc('updated_at')} AS updated_at, updated_by, settings::text AS settings`;
  }

  private async query<R extends object>(
    client: Queryable,
    text: string,
    values?: unknown[],
  ): Promise<{ rows: R[] }> {
    try {
      return (await client.query(text, values)) as { rows: R[] };
    } catch (error) {
      throw storeError('query failed', error);
    }
  }

  private assertOpen(): void {
    if (this.closing) throw new SettingsStoreError('The PostgreSQL settings store is closed');
  }

  private startListening(): void {
    if (this.listening || this.closing) return;
    const abort = new AbortController();
    // A listener connection still shutting down finishes first: never two at once.
    const done = this.stopped
      .then(() => this.listen(abort.signal))
      .catch((error: unknown) =>
        this.logger.error(`Stopped listening for settings changes: ${messageOf(error)}`),
      );
    this.listening = { abort, done };
  }

  private stopListening(): Promise<void> {
    const listening = this.listening;
    if (!listening) return this.stopped;
    this.listening = undefined;
    listening.abort.abort();
    this.stopped = listening.done;
    return this.stopped;
  }

  /** Keeps one listener connection open until `signal` aborts, reconnecting with back-off. */
  private async listen(signal: AbortSignal): Promise<void> {
    let attempt = 0;
    let listenedBefore = false;
    while (!signal.aborted) {
      let listened = false;
      try {
        await this.init();
        if (signal.aborted) break;
        await this.listenOnce(signal, () => {
          if (listenedBefore) this.logger.log('Listening for settings changes again');
          listenedBefore = listened = true;
          attempt = 0;
        });
      } catch (error) {
        if (signal.aborted) break;
        this.logger.warn(
          listened
            ? `Lost the connection that listens for settings changes (${messageOf(error)}); reconnecting`
            : `Could not listen for settings changes (${messageOf(error)}); trying again`,
        );
      }
      if (signal.aborted) break;
      const delay = Math.min(this.maxDelayMs, this.initialDelayMs * 2 ** attempt++);
      await sleep(delay, undefined, { signal }).catch(() => undefined);
    }
  }

  /** One listener connection. Rejects when it is lost or cannot be opened, or `signal` aborts. */
  private async listenOnce(signal: AbortSignal, onListening: () => void): Promise<never> {
    const client = this.createListenerClient();
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
      await step(client.query(`LISTEN ${quote(this.channel)}`));
      onListening();
      // Changes made while not listening sent notifications nobody heard: read where things are.
      await step(this.catchUp(client, signal));
      return await ended;
    } finally {
      signal.removeEventListener('abort', stop);
      await client.end().catch(() => undefined);
    }
  }

  private createListenerClient(): Client {
    // Configured like the pool's own clients (host, credentials, TLS), with a name of its own.
    const options = this.pool.options as ClientConfig & {
      Client?: new (c: ClientConfig) => Client;
    };
    const PgClient =
      options.Client ??
      (this.pool as { Client?: new (c: ClientConfig) => Client }).Client ??
      loadPg().Client;
    return new PgClient({
      ...options,
      application_name: this.listenerApplicationName,
      keepAlive: true,
      connectionTimeoutMillis: options.connectionTimeoutMillis || 10_000,
    });
  }

  private async catchUp(client: Client, signal: AbortSignal): Promise<void> {
    const scopes = [...this.listeners.keys()];
    if (scopes.length === 0) return;
    const { rows } = await client.query<{ scope: string; version: number | string }>(
      `SELECT scope, version FROM ${this.records} WHERE scope = ANY($1::text[])`,
      [scopes],
    );
    const versions = new Map(rows.map((row) => [row.scope, Number(row.version)]));
    if (signal.aborted) return;
    for (const scope of scopes) this.emit(scope, versions.get(scope) ?? 0);
  }

  private onNotification(message: Notification): void {
    if (message.channel !== this.channel || !message.payload) return;
    let payload: unknown;
    try {
      payload = JSON.parse(message.payload);
    } catch {
      return;
    }
    if (
      typeof payload === 'object' &&
      payload !== null &&
      'scope' in payload &&
      'version' in payload &&
      typeof payload.scope === 'string' &&
      typeof payload.version === 'number'
    ) {
      this.emit(payload.scope, payload.version);
    }
  }

  private emit(scope: string, version: number): void {
    for (const listener of this.listeners.get(scope) ?? []) {
      try {
        listener(version);
      } catch (error) {
        this.logger.error(`A settings listener failed: ${messageOf(error)}`);
      }
    }
  }
}

/** `pool.end()` resolves before its clients' sockets are closed; this waits for those too. */
async function endPool(pool: PostgresPool): Promise<void> {
  const events = pool as unknown as EventEmitter & { totalCount: number };
  let open = events.totalCount;
  const closed = new Promise<void>((resolve) => {
    if (open === 0) return resolve();
    events.on('remove', () => {
      if (--open <= 0) resolve();
    });
  });
  await pool.end();
  await closed;
}

function toRecord(row: RecordRow): SmtpSettingsRecord {
  return {
    scope: row.scope,
    version: Number(row.version),
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
    settings: row.settings === null ? null : (JSON.parse(row.settings) as SealedSmtpSettings),
  };
}

/** An ISO 8601 UTC timestamp with milliseconds, as `Date.prototype.toISOString` writes it. */
function utc(column: string): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

function identifier(value: string, option: string, reserve = 0): string {
  if (!IDENTIFIER.test(value) || value.length > MAX_IDENTIFIER_LENGTH - reserve) {
    throw new Error(
      `PostgresSmtpSettingsStore: ${option} must be lower-case letters, digits and _, starting with a letter or _, at most ${MAX_IDENTIFIER_LENGTH - reserve} characters`,
    );
  }
  return value;
}

function channelName(value: string): string {
  if (
    value.length === 0 ||
    Buffer.byteLength(value) > MAX_IDENTIFIER_LENGTH ||
    value.includes('\0')
  ) {
    throw new Error(
      `PostgresSmtpSettingsStore: channel must be 1 to ${MAX_IDENTIFIER_LENGTH} bytes; give a shorter one with the channel option`,
    );
  }
  return value;
}

function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function storeError(what: string, error: unknown): unknown {
  if (error instanceof SettingsStoreError || error instanceof SettingsVersionConflictError) {
    return error;
  }
  return new SettingsStoreError(`The PostgreSQL settings store ${what}: ${messageOf(error)}`);
}

/** Loaded only when needed, so that applications without `pg` can import this package. */
function loadPg(): typeof import('pg') {
  try {
    return require('pg') as typeof import('pg');
  } catch (error) {
    throw new Error(
      `PostgresSmtpSettingsStore needs the "pg" package: npm install pg (${messageOf(error)})`,
    );
  }
}

function messageOf(error: unknown): string {
  return typeof error === 'object' && error !== null && 'message' in error
    ? String(error.message)
    : String(error);
}
