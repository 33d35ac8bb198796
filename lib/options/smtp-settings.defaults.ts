/** What the admin page proposes for a new configuration, per the product article. */
export const SMTP_SETTINGS_DEFAULTS = {
  basic: { port: 25, useTls: false },
  bearer: { provider: 'microsoft', hostname: 'smtp.office365.com', port: 587, useTls: true },
} as const;

/** Amazon SES, behind the vendor relay, accepts at most 50 recipients per message. */
export const DEFAULT_RELAY_MAX_RECIPIENTS = 50;
