/**
 * Every default of the module options, in one place: what applies when an option is left out.
 * The `@default` tags of the option types repeat these values for readers of the API docs.
 */
export const SMTP_SETTINGS_OPTION_DEFAULTS = {
  /** The tenant of single-tenant apps, and of everything that names none. */
  defaultTenant: 'default',
  maxOpenRoutes: 100,
  routeIdleTimeoutMs: 300_000,
  path: 'smtp-settings',
  dataFile: '.data/smtp-settings.json',
  historyLimit: 100,
  retry: { attempts: 3, baseDelayMs: 250, maxDelayMs: 5000 },
  /** Far below nodemailer's 10-minute socket timeout, which any byte resets: a worker's slot comes back. */
  attemptTimeoutMs: 60_000,
  verifyTimeoutMs: 10_000,
  adminActionsRateLimit: { limit: 30, windowMs: 60_000 },
  microsoft: {
    authorityHost: 'https://login.microsoftonline.com',
    scope: 'https://outlook.office365.com/.default',
    graphHost: 'https://graph.microsoft.com',
    /** Exchange Online accepts 30 messages a minute per mailbox. */
    rateLimit: { limit: 30, windowMs: 60_000 },
  },
  google: {
    tokenUrl: 'https://oauth2.googleapis.com/token',
    /** Google Workspace accepts at most 100 recipients per message. */
    maxRecipients: 100,
  },
  relay: {
    /** Amazon SES, behind the vendor relay, accepts at most 50 recipients per message. */
    maxRecipients: 50,
    recipientPolicy: 'reject',
  },
  outbox: {
    prefix: 'nest_smtp_settings',
    queueName: 'smtp-outbox',
    worker: true,
    concurrency: 4,
    retryWindowMs: 86_400_000,
    backoff: { baseDelayMs: 5000, maxDelayMs: 600_000 },
    holdRecheckMs: 600_000,
    holdWindowMs: 604_800_000,
    shutdownTimeoutMs: 10_000,
    retention: { logTtlMs: 604_800_000, logMaxCount: 10_000 },
    alerts: { oldestWaitingMs: 900_000 },
    maxMessageBytes: 10 * 1024 * 1024,
    storeTimeoutMs: 10_000,
  },
} as const;
