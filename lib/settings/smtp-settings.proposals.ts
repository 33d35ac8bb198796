import type { MailProvider } from '../interfaces/smtp-settings.types';

/** What the admin page proposes for a new configuration, per the product article. */
export const SMTP_SETTINGS_PROPOSALS = {
  basic: { port: 25, useTls: false },
  bearer: { provider: 'microsoft', hostname: 'smtp.office365.com', port: 587, useTls: true },
  /** What each Bearer provider proposes when chosen: Microsoft Graph has no server to propose. */
  providers: {
    microsoft: { hostname: 'smtp.office365.com', port: 587, useTls: true },
    'microsoft-graph': {},
    google: { hostname: 'smtp.gmail.com', port: 465, useTls: true },
  },
} as const;

/** The Bearer providers this module sends with, in the order the page offers them. */
export const MAIL_PROVIDERS: readonly MailProvider[] = ['microsoft', 'microsoft-graph', 'google'];
