/*
 * The public API, by name. Everything else in lib/ is internal and may change in any release; the
 * API report (etc/nest-smtp-settings.api.md, checked by `npm run lint`) shows every change here.
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
export type { RecipientPolicy, SmtpRelayOptions } from './options/relay-options.interface';
export type { SmtpRetryOptions } from './options/retry-options.interface';
export type { SmtpTlsTrustOptions } from './options/tls-options.interface';
export type { SmtpPoolOptions } from './options/pool-options.interface';
export type { MicrosoftOptions } from './options/microsoft-options.interface';
export type { GoogleOptions } from './options/google-options.interface';
export type { RateLimit } from './options/rate-limit.interface';
export type { OutboxBackend, OutboxOptions } from './options/outbox-options.interface';
export { assertRelayVerifiesCertificates } from './options/relay-certificate-check';
export { parseEncryptionKey } from './crypto/secret-sealer';

// Settings: what admins configure, as the service and the REST API show it
export {
  SmtpSettingsService,
  type SmtpSettingsChangeOptions,
} from './settings/smtp-settings.service';
export { assertTenantId } from './settings/tenant-id';
export type {
  BasicSmtpSettings,
  BearerSettings,
  BearerSmtpSettings,
  CommonSmtpSettings,
  GoogleSmtpSettings,
  MailProvider,
  MicrosoftBearerSettings,
  MicrosoftGraphSettings,
  SenderSettings,
  SmtpAuthType,
  SmtpServerSettings,
  SmtpSettings,
  SmtpSettingsState,
  SmtpSettingsView,
  SmtpTlsMode,
} from './interfaces/smtp-settings.types';
export type { SmtpSettingsInput } from './interfaces/smtp-settings-input.interface';
export type { SmtpSettingsChangeEvent } from './interfaces/smtp-settings-change.interface';
export type { FieldProblem } from './interfaces/field-problem.interface';
export type {
  DeliveryView,
  DeliveryViewReason,
  SmtpSettingsAdminState,
} from './http/delivery-view';
export type { SmtpSettingsCapabilities } from './http/capabilities.interface';
export { SMTP_SETTINGS_PROPOSALS } from './settings/smtp-settings.proposals';

// Stores: the interface an implementer writes against, and the three that ship
export { SmtpSettingsStore } from './interfaces/smtp-settings-store.interface';
export type {
  SmtpSettingsAction,
  SmtpSettingsChange,
  SmtpSettingsHistoryEntry,
  SmtpSettingsRecord,
} from './interfaces/smtp-settings-store.interface';
export type {
  SealedSecret,
  SealedSmtpSettings,
  SecretField,
} from './interfaces/smtp-settings.types';
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
export type { PostgresPool, PostgresPoolClient } from './stores/postgres/postgres-pool';

// Upgrades: the product's Upgrade Center
export { UpgradeCenter } from './interfaces/upgrade-center.interface';
export { KNOWN_UPGRADES, SMTP_OAUTH_UPGRADE } from './upgrades/upgrades.constants';
export {
  checkUpgradeIds,
  unknownUpgradeMessage,
  type UnknownUpgradeId,
} from './upgrades/upgrade-ids';

// Sending mail
export { MailerService } from './mailer/mailer.service';
export type { TenantMailer } from './interfaces/tenant-mailer.interface';
export { LiveSmtpTransport } from './transport/live-smtp-transport';
export type { ChannelKind, SendResult } from './interfaces/send-result.interface';
export type { TestEmailResult } from './interfaces/test-email-result.interface';
export type {
  Explanation,
  RecipientRefusal,
  VerifyResult,
  VerifyStage,
} from './interfaces/verify-result.interface';
export type { MailEvent, MailerStatus } from './interfaces/mail-events.interface';

// The outbox: durable sending through BullMQ, the send log, alerts
export { OutboxService } from './outbox/outbox.service';
export {
  OUTBOX_STATUSES,
  type EnqueueOptions,
  type EnqueueResult,
  type OutboxAlert,
  type OutboxError,
  type OutboxHourlyBucket,
  type OutboxRateLimitState,
  type OutboxWaitingState,
  type OutboxStatus,
  type OutboxSummary,
  type SendLogEntry,
  type SendLogPage,
  type SendLogQuery,
} from './interfaces/outbox.interface';
export type { SendLog } from './outbox/send-log.interface';
export type { SharedRateLimiter } from './outbox/shared-rate-limiter.interface';

// Errors: each has a stable `code`; SmtpSettingsExceptionFilter answers them over HTTP
export { SmtpSettingsError } from './errors/smtp-settings.error';
export { SmtpSettingsExceptionFilter } from './http/smtp-settings-exception.filter';
export { SettingsValidationError } from './errors/settings-validation.error';
export { RequestValidationError } from './errors/request-validation.error';
export { SettingsVersionConflictError } from './errors/settings-version-conflict.error';
export { StoreUnavailableError } from './errors/store-unavailable.error';
export { SecretUnsealError } from './errors/secret-unseal.error';
export { UpgradeRequiredError } from './errors/upgrade-required.error';
export { InvalidTenantError } from './errors/invalid-tenant.error';
export { TenantRequiredError } from './errors/tenant-required.error';
export {
  DeliveryUnavailableError,
  type DeliveryBlockedReason,
} from './errors/delivery-unavailable.error';
export { DeliveryUncertainError } from './errors/delivery-uncertain.error';
export { DeliveryFailedError, type SmtpFailureDetails } from './errors/delivery-failed.error';
export { GraphSendError, type GraphSendFailure } from './transport/graph/graph-send-error';
export { DeliveryIncompleteError } from './errors/delivery-incomplete.error';
export { ChannelMissingError } from './errors/channel-missing.error';
export { RecipientLimitExceededError } from './errors/recipient-limit-exceeded.error';
export { SenderRequiredError } from './errors/sender-required.error';
export { HeaderInjectionError } from './errors/header-injection.error';
export { TokenRequestFailedError } from './errors/token-request-failed.error';
export { OutboxNotConfiguredError } from './errors/outbox-not-configured.error';
export { OutboxUnavailableError } from './errors/outbox-unavailable.error';
export { OutboxUncertainError } from './errors/outbox-uncertain.error';
export { NotRetryableError } from './errors/not-retryable.error';
export { OutboxMessageNotFoundError } from './errors/outbox-message-not-found.error';
export { InvalidCursorError } from './errors/invalid-cursor.error';
export { MessageNotQueueableError } from './errors/message-not-queueable.error';
export { ExternalContentRefusedError } from './errors/external-content-refused.error';
