/** Namespaced so that they never collide with an application's own tokens. */
export const SMTP_SETTINGS_MODULE_OPTIONS = 'SMTP_SETTINGS:MODULE_OPTIONS';
export const SMTP_SETTINGS_SEALER = 'SMTP_SETTINGS:SEALER';
export const SMTP_SETTINGS_GUARDS = 'SMTP_SETTINGS:GUARDS';

/** The scope that single-tenant products use; per-tenant scopes can come later. */
export const DEFAULT_SCOPE = 'default';
export const DEFAULT_PATH = 'smtp-settings';
export const DEFAULT_DATA_FILE = '.data/smtp-settings.json';
