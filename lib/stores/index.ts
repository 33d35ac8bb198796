export * from '../interfaces/smtp-settings-store.interface';
export * from './in-memory-smtp-settings.store';
export * from './file/file-smtp-settings.store';
export * from './postgres/postgres-smtp-settings.store';
export * from './postgres/postgres-store.options';
export type { PostgresPool, PostgresPoolClient } from './postgres/postgres-pool';
