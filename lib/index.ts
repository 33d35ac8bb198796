/*
 * The public API, by name. Everything else in lib/ is internal and may change in any release; the
 * API report (etc/nest-smtp-settings.api.md, checked by `npm run lint`) shows every change here.
 * A name belongs here when an app or a store implementer must write it: the module and its options,
 * the services apps inject and what they return, the store interface and the stores that ship, and
 * the errors whose fields an app reads. Nothing here reads a secret.
 */

// The module and its options
export { SmtpSettingsModule } from './smtp-settings.module';
export { InjectSmtpSettingsStore, InjectUpgradeCenter } from './smtp-settings.decorators';
export { SMTP_SETTINGS_MODULE_OPTIONS } from './options/smtp-settings.constants';
export type {
  SmtpSettingsModuleExtras,
  SmtpSettingsModuleOptions,
  SmtpSettingsRequest,
} from './options/smtp-settings-options.interface';
export type {
  SmtpSettingsModuleAsyncOptions,
  SmtpSettingsOptionsFactory,
} from './options/smtp-settings-async-options.interface';
export type { SmtpRelayOptions } from './options/relay-options.interface';
export type { SmtpRetryOptions } from './options/retry-options.interface';
export type { SmtpTlsTrustOptions } from './options/tls-options.interface';
export type { SmtpPoolOptions } from './options/pool-options.interface';
export type { MicrosoftOptions } from './options/microsoft-options.interface';
export type { GoogleOptions } from './options/google-options.interface';
export type { RateLimit } from './options/rate-limit.interface';
export type { OutboxOptions } from './options/outbox-options.interface';

// Settings: what admins configure, as the service shows it (never a secret)
export { SmtpSettingsService } from './settings/smtp-settings.service';
export { assertTenantId } from './settings/tenant-id';
export type {
  BasicSmtpSettings,
  BearerSmtpSettings,
  ClientCertificate,
  ClientCertificateView,
  CommonSmtpSettings,
  GoogleSmtpSettings,
  MicrosoftAppSettings,
  MicrosoftGraphSettings,
  SenderSettings,
  SmtpSettingsState,
  SmtpSettingsView,
} from './interfaces/smtp-settings.types';
export type { SmtpSettingsInput } from './interfaces/smtp-settings-input.interface';
export type {
  SmtpSettingsChangeEvent,
  SmtpSettingsChangeOptions,
} from './interfaces/smtp-settings-change.interface';
export type { FieldProblem } from './interfaces/field-problem.interface';
export type { SmtpBackupState } from './interfaces/smtp-connection.interface';

// Stores: the interface an implementer writes against, and the three that ship
export { SmtpSettingsStore } from './interfaces/smtp-settings-store.interface';
export type {
  SmtpSettingsChange,
  SmtpSettingsHistoryEntry,
  SmtpSettingsRecord,
} from './interfaces/smtp-settings-store.interface';
export type { SealedSecret, SealedSmtpSettings } from './interfaces/smtp-settings.types';
export {
  InMemorySmtpSettingsStore,
  type InMemorySmtpSettingsStoreOptions,
} from './stores/in-memory-smtp-settings.store';
export {
  FileSmtpSettingsStore,
  type FileSmtpSettingsStoreOptions,
} from './stores/file/file-smtp-settings.store';
export { PostgresSmtpSettingsStore } from './stores/postgres/postgres-smtp-settings.store';
export type { PostgresSmtpSettingsStoreOptions } from './stores/postgres/postgres-store.options';
export type { PostgresPool, PostgresPoolClient } from './postgres/postgres-pool';

// Upgrades: the product's Upgrade Center
export { UpgradeCenter } from './interfaces/upgrade-center.interface';
export { KNOWN_UPGRADES, SMTP_OAUTH_UPGRADE } from './upgrades/upgrades.constants';

// Sending mail
export { MailerService } from './mailer/mailer.service';
export type { TenantMailer } from './interfaces/tenant-mailer.interface';
export { LiveSmtpTransport } from './transport/live-smtp-transport';
export type { SendResult } from './interfaces/send-result.interface';
export type { TestEmailResult } from './interfaces/test-email-result.interface';
export type {
  Explanation,
  RecipientRefusal,
  VerifyResult,
  VerifyStage,
} from './interfaces/verify-result.interface';
export type { FailoverState, MailEvent, MailerStatus } from './interfaces/mail-events.interface';

// The outbox: durable sending through BullMQ, the send log, alerts
export { OutboxService } from './outbox/outbox.service';
export type {
  EnqueueOptions,
  EnqueueResult,
  OutboxAlert,
  OutboxError,
  OutboxHourlyBucket,
  OutboxRateLimitState,
  OutboxStatus,
  OutboxSummary,
  OutboxWaitingState,
  SendLogEntry,
  SendLogPage,
  SendLogQuery,
} from './interfaces/outbox.interface';

// Errors: every one extends SmtpSettingsError and has a stable `code` (SmtpSettingsErrorCode);
// SmtpSettingsExceptionFilter answers them over HTTP. The classes here carry fields an app reads,
// decide what it does next (retry or not), or are thrown by a store; match the others on `code`.
export { SmtpSettingsError, type SmtpSettingsErrorCode } from './errors/smtp-settings.error';
export { SmtpSettingsExceptionFilter } from './http/smtp-settings-exception.filter';
export { SettingsValidationError } from './errors/settings-validation.error';
export { SettingsVersionConflictError } from './errors/settings-version-conflict.error';
export { DeliveryFailedError } from './errors/delivery-failed.error';
export { DeliveryUncertainError } from './errors/delivery-uncertain.error';
export { DeliveryUnavailableError } from './errors/delivery-unavailable.error';
export { DeliveryIncompleteError } from './errors/delivery-incomplete.error';
export { RecipientLimitExceededError } from './errors/recipient-limit-exceeded.error';
export { TokenRequestFailedError } from './errors/token-request-failed.error';
export { OutboxUnavailableError } from './errors/outbox-unavailable.error';
export { OutboxUncertainError } from './errors/outbox-uncertain.error';
