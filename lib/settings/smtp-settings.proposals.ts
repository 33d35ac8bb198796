/** What the admin page proposes for a new configuration, per the product article. */
export const SMTP_SETTINGS_PROPOSALS = {
  basic: { port: 25, useTls: false },
  bearer: { provider: 'microsoft', hostname: 'smtp.office365.com', port: 587, useTls: true },
} as const;
