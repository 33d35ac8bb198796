import type { PostgresPoolClient } from '../../postgres/postgres-pool';
import { quote } from '../../postgres/postgres-identifier';
import { SCHEMA_LOCK } from '../../postgres/schema-lock';
import { query, type Queryable } from './postgres-sql';

const DEFAULT_TABLE_PREFIX = 'smtp_settings';
/** PostgreSQL's NAMEDATALEN - 1: longer identifiers are silently truncated. */
const MAX_IDENTIFIER_LENGTH = 63;
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** Where a store keeps its data, checked and quoted. */
export interface PostgresTables {
  schema: string | undefined;
  tablePrefix: string;
  /** `<prefix>`, qualified with the schema when one is given, and quoted: one row per tenant. */
  records: string;
  /** `<prefix>_history`, qualified and quoted. */
  history: string;
  /** The `NOTIFY` channel. */
  channel: string;
}

export function tablesFor(options: {
  schema?: string;
  tablePrefix?: string;
  channel?: string;
}): PostgresTables {
  const schema = options.schema === undefined ? undefined : identifier(options.schema, 'schema');
  // `_history` is appended to the prefix, so it must leave room for that.
  const tablePrefix = identifier(options.tablePrefix ?? DEFAULT_TABLE_PREFIX, 'tablePrefix', 8);
  const qualify = (name: string) =>
    schema === undefined ? quote(name) : `${quote(schema)}.${quote(name)}`;
  return {
    schema,
    tablePrefix,
    records: qualify(tablePrefix),
    history: qualify(`${tablePrefix}_history`),
    channel: channelName(
      options.channel ?? (schema === undefined ? tablePrefix : `${schema}.${tablePrefix}`),
    ),
  };
}

/** Creates the schema and tables when they are missing. */
export async function createTables(
  pool: Queryable,
  tables: PostgresTables,
  transaction: (work: (client: PostgresPoolClient) => Promise<void>) => Promise<void>,
): Promise<void> {
  const { rows } = await query<{ ready: boolean }>(
    pool,
    'SELECT to_regclass($1) IS NOT NULL AND to_regclass($2) IS NOT NULL AS ready',
    [tables.records, tables.history],
  );
  // Already there: no DDL, so a role without CREATE privilege can use tables made for it.
  if (rows[0]?.ready) return;
  await transaction(async (client) => {
    // Concurrent CREATE ... IF NOT EXISTS can still collide (on pg_type); replicas take turns.
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [SCHEMA_LOCK]);
    if (tables.schema !== undefined) {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${quote(tables.schema)}`);
    }
    // The tenant's column is `scope`, its name since the first release: existing tables keep it,
    // and so does every new table, so that replicas of any release share them.
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${tables.records} (
         scope text PRIMARY KEY,
         version integer NOT NULL CHECK (version > 0),
         updated_at timestamptz NOT NULL,
         updated_by text,
         settings jsonb
       )`,
    );
    // The primary keys are the only indexes a tenant's statements need, however many tenants
    // there are: a record by tenant (`scope`); a history by (scope, version), which serves "newest
    // first" (at most historyLimit rows) and the trim by range. A (scope, version DESC) index
    // would duplicate it: a B-tree is read in either direction.
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${tables.history} (
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
