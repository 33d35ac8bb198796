import type { LoggerService } from '@nestjs/common';
import type { PostgresPool } from '../../postgres/postgres-pool';

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
   * Names the tables `<prefix>` (one row per tenant) and `<prefix>_history`. Lower-case letters,
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
   * How many history entries to keep per tenant, unless a change gives its own limit. Older ones are
   * deleted as new ones are written.
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
