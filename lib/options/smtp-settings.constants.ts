/** Namespaced so that they never collide with an application's own tokens. */
export const SMTP_SETTINGS_MODULE_OPTIONS = 'SMTP_SETTINGS:MODULE_OPTIONS';
export const SMTP_SETTINGS_SEALER = 'SMTP_SETTINGS:SEALER';
/** The mail providers (their descriptors, in the order the admin page offers them): module-internal. */
export const SMTP_SETTINGS_MAIL_PROVIDERS = 'SMTP_SETTINGS:MAIL_PROVIDERS';
