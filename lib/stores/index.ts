export * from '../interfaces/smtp-settings-store.interface';
export * from './in-memory-smtp-settings.store';
export * from './file-smtp-settings.store';
export * from './postgres-smtp-settings.store';
