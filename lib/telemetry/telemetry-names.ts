/*
 * The names the module reports under: OpenTelemetry's semantic conventions where one exists
 * (`server.address`, `server.port`, `error.type`), `smtp_settings.*` where none does. Apps and
 * dashboards build on them: each is a promise, as a public export is.
 */

export const SPAN = {
  send: 'smtp.send',
  enqueue: 'smtp.enqueue',
  attempt: 'smtp.attempt',
  token: 'oauth.token',
  verify: 'smtp.verify',
  testEmail: 'smtp.test_email',
} as const;

export const ATTR = {
  serverAddress: 'server.address',
  serverPort: 'server.port',
  errorType: 'error.type',
  tenant: 'smtp_settings.tenant',
  channel: 'smtp_settings.channel',
  provider: 'smtp_settings.provider',
  stage: 'smtp_settings.stage',
  replyCode: 'smtp_settings.reply_code',
  messageId: 'smtp_settings.message_id',
  recipients: 'smtp_settings.recipients.count',
  outcome: 'smtp_settings.outcome',
  backend: 'smtp_settings.backend',
  kind: 'smtp_settings.kind',
  tokenCached: 'smtp_settings.token.cached',
} as const;

export const METRIC = {
  messages: 'smtp_settings.messages',
  attemptDuration: 'smtp_settings.attempt.duration',
  deliveryLatency: 'smtp_settings.delivery.latency',
  waiting: 'smtp_settings.outbox.waiting',
  oldestWaitingAge: 'smtp_settings.outbox.oldest_waiting_age',
  tokenRequests: 'smtp_settings.token.requests',
  settingsChanges: 'smtp_settings.settings.changes',
} as const;

/** Which way out a message took: a tenant's main or backup connection, the relay, or Graph. */
export type TelemetryChannel = 'main' | 'backup' | 'relay' | 'graph';

/** What became of a message: its outcome in `smtp_settings.messages`. */
export type MessageOutcome = 'sent' | 'failed' | 'uncertain' | 'held' | 'deferred';

/** An outbox attempt's outcome: a message's, or `retry` (transient: the message waits for another). */
export type AttemptOutcome = MessageOutcome | 'retry';
