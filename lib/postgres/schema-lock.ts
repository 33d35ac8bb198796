/**
 * The advisory lock the settings store and the outbox's rate limiter take to create their tables:
 * concurrent `CREATE ... IF NOT EXISTS` can still collide (on pg_type), so replicas that start
 * together take turns. Creating tables is rare and fast, so sharing one lock costs nothing.
 */
export const SCHEMA_LOCK = 'nest-smtp-settings:create-tables';
