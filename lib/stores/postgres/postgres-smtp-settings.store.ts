import { Logger } from '@nestjs/common';
import type { LoggerService } from '@nestjs/common';
import { StoreUnavailableError } from '../../errors/store-unavailable.error';
import { SettingsVersionConflictError } from '../../errors/settings-version-conflict.error';
import { messageOf } from '../../internal/message-of';
import { SMTP_SETTINGS_OPTION_DEFAULTS } from '../../options/smtp-settings.defaults';
import type { SealedSmtpSettings } from '../../interfaces/smtp-settings.types';
import type {
  SmtpSettingsAction,
  SmtpSettingsChange,
  SmtpSettingsHistoryEntry,
  SmtpSettingsRecord,
  SmtpSettingsStore,
} from '../../interfaces/smtp-settings-store.interface';
import { TenantListeners } from '../tenant-listeners';
import { ListenClient } from './listen-client';
import {
  endPool,
  newPool,
  type PostgresPool,
  type PostgresPoolClient,
} from '../../postgres/postgres-pool';
import * as sql from './postgres-queries';
import type { HistoryRow, RecordRow } from './postgres-queries';
import { createTables, tablesFor, type PostgresTables } from './postgres-schema';
import { query, storeError, transaction, type Queryable } from './postgres-sql';
import type { PostgresSmtpSettingsStoreOptions } from './postgres-store.options';

/**
 * Keeps settings in PostgreSQL, for applications that run several replicas. Every change sends a
 * `NOTIFY` carrying only the tenant and the new version, so that each replica reloads within moments.
 *
 * Secrets arrive sealed, as with every store; it has no key of its own, so the module requires
 * `encryptionKey` with it. `pg` is an optional peer dependency, loaded only when this store creates
 * its own pool or listener connection.
 */
export class PostgresSmtpSettingsStore implements SmtpSettingsStore {
  readonly schema: string | undefined;
  readonly tablePrefix: string;
  readonly channel: string;
  private readonly tables: PostgresTables;
  private readonly pool: PostgresPool;
  private readonly ownsPool: boolean;
  private readonly historyLimit: number;
  private readonly logger: LoggerService;
  private readonly listeners: TenantListeners;
  private readonly listenClient: ListenClient;
  private ready?: Promise<void>;
  private closing?: Promise<void>;

  constructor(options: PostgresSmtpSettingsStoreOptions) {
    if ((options.pool === undefined) === (options.connectionString === undefined)) {
      throw new Error('PostgresSmtpSettingsStore: give either `pool` or `connectionString`');
    }
    this.tables = tablesFor(options);
    ({ schema: this.schema, tablePrefix: this.tablePrefix, channel: this.channel } = this.tables);
    this.historyLimit = checkedHistoryLimit(
      options.historyLimit ?? SMTP_SETTINGS_OPTION_DEFAULTS.historyLimit,
    );
    this.logger = options.logger ?? new Logger(PostgresSmtpSettingsStore.name);
    this.listeners = new TenantListeners((error) =>
      this.logger.error(`A settings listener failed: ${messageOf(error)}`),
    );

    if (options.pool) {
      this.pool = options.pool;
      this.ownsPool = false;
    } else {
      this.pool = newPool(options.connectionString!);
      this.ownsPool = true;
      // An idle client whose connection dies emits on the pool; unheard, that would end the process.
      this.pool.on('error', (error) =>
        this.logger.warn(`An idle PostgreSQL connection failed: ${messageOf(error)}`),
      );
    }

    this.listenClient = new ListenClient({
      pool: this.pool,
      channel: this.channel,
      applicationName: options.listenerApplicationName ?? 'nest-smtp-settings:listener',
      initialDelayMs: options.reconnect?.initialDelayMs ?? 100,
      maxDelayMs: options.reconnect?.maxDelayMs ?? 2_000,
      logger: this.logger,
      ready: () => this.init(),
      caughtUp: (client, signal) => this.catchUp(client, signal),
      notified: (tenant, version) => this.listeners.emit(tenant, version),
    });
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

  async get(tenant: string): Promise<SmtpSettingsRecord | null> {
    this.assertOpen();
    await this.init();
    const { rows } = await query<RecordRow>(this.pool, sql.selectRecord(this.tables), [tenant]);
    return rows[0] ? sql.toRecord(rows[0]) : null;
  }

  put(
    tenant: string,
    settings: SealedSmtpSettings,
    change: SmtpSettingsChange,
    expectedVersion?: number,
  ): Promise<SmtpSettingsRecord> {
    return this.change(tenant, 'update', settings, change, expectedVersion);
  }

  delete(
    tenant: string,
    change: SmtpSettingsChange,
    expectedVersion?: number,
  ): Promise<SmtpSettingsRecord> {
    return this.change(tenant, 'reset', null, change, expectedVersion);
  }

  async history(tenant: string, limit?: number): Promise<SmtpSettingsHistoryEntry[]> {
    this.assertOpen();
    await this.init();
    const { rows } = await query<HistoryRow>(this.pool, sql.selectHistory(this.tables), [
      tenant,
      Math.max(0, limit ?? this.historyLimit),
    ]);
    return rows.map(sql.toHistoryEntry);
  }

  /**
   * Listens on a connection of its own, one for every tenant and listener. When that connection is
   * lost, it reconnects with back-off and then reports the current version of every tenant, since
   * notifications sent in between were missed; it does the same once listening starts.
   */
  watch(listener: (tenant: string, version: number) => void): () => void {
    this.assertOpen();
    const remove = this.listeners.add(listener);
    this.listenClient.start();
    return () => {
      remove();
      if (this.listeners.size === 0) void this.listenClient.stop();
    };
  }

  /** Ends the listener connection, and the pool when the store created it. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.listeners.clear();
      await this.listenClient.stop();
      await this.ready?.catch(() => undefined);
      if (this.ownsPool) await endPool(this.pool);
    })();
    return this.closing;
  }

  private async change(
    tenant: string,
    action: SmtpSettingsAction,
    settings: SealedSmtpSettings | null,
    change: SmtpSettingsChange,
    expectedVersion: number | undefined,
  ): Promise<SmtpSettingsRecord> {
    this.assertOpen();
    await this.init();
    const historyLimit = checkedHistoryLimit(change.historyLimit ?? this.historyLimit);
    return this.transaction(async (client) => {
      const values = [tenant, change.at, change.by, settings && JSON.stringify(settings)];
      const { rows } =
        expectedVersion === undefined
          ? await query<RecordRow>(client, sql.upsertRecord(this.tables), values)
          : expectedVersion === 0
            ? await query<RecordRow>(client, sql.insertFirstRecord(this.tables), values)
            : await query<RecordRow>(client, sql.updateRecordAt(this.tables), [
                ...values,
                expectedVersion,
              ]);
      const row = rows[0];
      if (!row) {
        const current = await query<{ version: number | string }>(
          client,
          sql.selectVersion(this.tables),
          [tenant],
        );
        throw new SettingsVersionConflictError(
          expectedVersion ?? 0,
          Number(current.rows[0]?.version ?? 0),
        );
      }
      const record = sql.toRecord(row);
      await query(client, sql.insertHistory(this.tables), [
        tenant,
        record.version,
        change.at,
        change.by,
        action,
        [...change.changed],
      ]);
      await query(client, sql.trimHistory(this.tables), [tenant, record.version - historyLimit]);
      await query(client, sql.NOTIFY, [this.channel, tenant, record.version]);
      return record;
    });
  }

  private transaction<T>(work: (client: PostgresPoolClient) => Promise<T>): Promise<T> {
    this.assertOpen();
    return transaction(this.pool, work);
  }

  private createTables(): Promise<void> {
    this.assertOpen();
    return createTables(this.pool, this.tables, (work) => this.transaction(work));
  }

  private assertOpen(): void {
    if (this.closing) throw new StoreUnavailableError('The PostgreSQL settings store is closed');
  }

  /** One row per written tenant (10,000 tenants: well under a megabyte), only when (re)listening. */
  private async catchUp(client: Queryable, signal: AbortSignal): Promise<void> {
    if (this.listeners.size === 0) return;
    const { rows } = (await client.query(sql.selectVersions(this.tables))) as {
      rows: Array<{ tenant: string; version: number | string }>;
    };
    if (signal.aborted) return;
    for (const row of rows) this.listeners.emit(row.tenant, Number(row.version));
  }
}

function checkedHistoryLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new Error('PostgresSmtpSettingsStore: historyLimit must be a whole number of at least 1');
  }
  return limit;
}
