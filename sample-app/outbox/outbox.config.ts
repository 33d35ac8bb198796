/** The outbox's queue name, given to the library and to the queue dashboard alike. */
export const OUTBOX_QUEUE = 'smtp-outbox';

/** The default of OUTBOX_PREFIX: the library's own default prefix (Redis) and schema (PostgreSQL). */
export const DEFAULT_OUTBOX_PREFIX = 'nest_smtp_settings';

/**
 * REDIS_URL or OUTBOX=postgres: `POST /notifications` enqueues in the durable outbox instead of
 * sending directly. `url` is REDIS_URL, or DATABASE_URL for PostgreSQL.
 */
export interface SampleOutboxConfig {
  backend: 'redis' | 'postgres';
  url: string;
  /** OUTBOX_PREFIX: the Redis key prefix, or the PostgreSQL schema of the queue and the send log. */
  prefix: string;
}

type Value = (name: string) => string | undefined;

/**
 * `REDIS_URL` turns the outbox on with Redis; `OUTBOX=postgres` turns it on in the `DATABASE_URL`
 * database instead (`OUTBOX=redis` insists on Redis, `OUTBOX=off` keeps the direct path with
 * REDIS_URL set). With neither, `undefined`: notifications are sent directly, and the sample app
 * needs no Redis and no database.
 */
export function parseOutbox(
  value: Value,
  databaseUrl: string | undefined,
  problems: string[],
): SampleOutboxConfig | undefined {
  const redisUrl = value('REDIS_URL');
  if (redisUrl !== undefined && !/^rediss?:\/\/[^\s]+$/i.test(redisUrl)) {
    problems.push(
      'REDIS_URL must be a redis:// or rediss:// URL, database index included, such as redis://127.0.0.1:6379/0',
    );
  }
  const choice = value('OUTBOX')?.toLowerCase();
  if (choice !== undefined && !['redis', 'postgres', 'off'].includes(choice)) {
    problems.push(`OUTBOX must be redis, postgres or off (got "${value('OUTBOX')}")`);
    return undefined;
  }
  const prefix = value('OUTBOX_PREFIX') ?? DEFAULT_OUTBOX_PREFIX;
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(prefix)) {
    problems.push(
      'OUTBOX_PREFIX must be lower-case letters, digits and _, starting with a letter or _, at most 63 ' +
        'characters (it names the Redis key prefix or the PostgreSQL schema)',
    );
  }
  const backend = choice ?? (redisUrl !== undefined ? 'redis' : 'off');
  if (backend === 'off') return undefined;
  if (backend === 'postgres') {
    if (databaseUrl === undefined) {
      problems.push(
        'OUTBOX=postgres keeps the outbox in the DATABASE_URL database: set DATABASE_URL (and SMTP_SETTINGS_KEY), or use REDIS_URL',
      );
      return undefined;
    }
    return { backend, url: databaseUrl, prefix };
  }
  if (redisUrl === undefined) {
    problems.push('OUTBOX=redis needs REDIS_URL, such as redis://127.0.0.1:6379/0');
    return undefined;
  }
  return { backend: 'redis', url: redisUrl, prefix };
}
