import type { OutboxBackend, OutboxOptions } from '../options/outbox-options.interface';
import { SMTP_SETTINGS_OPTION_DEFAULTS } from '../options/smtp-settings.defaults';

const DEFAULTS = SMTP_SETTINGS_OPTION_DEFAULTS.outbox;

/** The outbox options with every default applied. */
export interface ResolvedOutboxOptions {
  backend: OutboxBackend;
  connection: string | object;
  prefix: string;
  queueName: string;
  worker: boolean;
  concurrency: number;
  retryWindowMs: number;
  backoff: { baseDelayMs: number; maxDelayMs: number };
  holdRecheckMs: number;
  holdWindowMs: number;
  tenantConcurrency: number;
  shutdownTimeoutMs: number;
  retention: { logTtlMs: number; logMaxCount: number };
  alerts: { oldestWaitingMs: number };
  maxMessageBytes: number;
  storeTimeoutMs: number;
  /** Enforced by the live transport on every attempt (it also reads the module's `attemptTimeoutMs`). */
  attemptTimeoutMs: number;
  /** BullMQ's `telemetry` option (bullmq-otel), for its queue and worker. */
  telemetry?: object;
}

/** Applies the defaults and refuses what cannot work, naming the option. */
export function resolveOutboxOptions(options: OutboxOptions): ResolvedOutboxOptions {
  if (options.backend !== 'redis' && options.backend !== 'postgres') {
    throw new Error(`SmtpSettingsModule: outbox.backend must be 'redis' or 'postgres'`);
  }
  if (typeof options.connection !== 'string' && typeof options.connection !== 'object') {
    throw new Error('SmtpSettingsModule: outbox.connection is required');
  }
  const prefix = options.prefix ?? DEFAULTS.prefix;
  if (options.backend === 'postgres' && !/^[a-z_][a-z0-9_]{0,62}$/.test(prefix)) {
    throw new Error(
      'SmtpSettingsModule: outbox.prefix names the PostgreSQL schema: lower-case letters, digits and _',
    );
  }
  const resolved: ResolvedOutboxOptions = {
    backend: options.backend,
    connection: options.connection,
    prefix,
    queueName: options.queueName ?? DEFAULTS.queueName,
    worker: options.worker ?? DEFAULTS.worker,
    concurrency: options.concurrency ?? DEFAULTS.concurrency,
    retryWindowMs: options.retryWindowMs ?? DEFAULTS.retryWindowMs,
    backoff: {
      baseDelayMs: options.backoff?.baseDelayMs ?? DEFAULTS.backoff.baseDelayMs,
      maxDelayMs: options.backoff?.maxDelayMs ?? DEFAULTS.backoff.maxDelayMs,
    },
    holdRecheckMs: options.holdRecheckMs ?? DEFAULTS.holdRecheckMs,
    holdWindowMs: options.holdWindowMs ?? DEFAULTS.holdWindowMs,
    // Half a worker's slots: 2 at the default concurrency, and room for one tenant's volume in an
    // app that raised it (the share counts across replicas: one tenant never has more).
    tenantConcurrency:
      options.tenantConcurrency ??
      Math.max(1, Math.floor((options.concurrency ?? DEFAULTS.concurrency) / 2)),
    shutdownTimeoutMs: options.shutdownTimeoutMs ?? DEFAULTS.shutdownTimeoutMs,
    retention: {
      logTtlMs: options.retention?.logTtlMs ?? DEFAULTS.retention.logTtlMs,
      logMaxCount: options.retention?.logMaxCount ?? DEFAULTS.retention.logMaxCount,
    },
    alerts: { oldestWaitingMs: options.alerts?.oldestWaitingMs ?? DEFAULTS.alerts.oldestWaitingMs },
    maxMessageBytes: options.maxMessageBytes ?? DEFAULTS.maxMessageBytes,
    storeTimeoutMs: options.storeTimeoutMs ?? DEFAULTS.storeTimeoutMs,
    attemptTimeoutMs: options.attemptTimeoutMs ?? SMTP_SETTINGS_OPTION_DEFAULTS.attemptTimeoutMs,
    ...(options.telemetry === undefined ? {} : { telemetry: options.telemetry }),
  };
  if (
    options.telemetry !== undefined &&
    (typeof options.telemetry !== 'object' || !options.telemetry)
  ) {
    throw new Error(
      "SmtpSettingsModule: outbox.telemetry must be BullMQ's telemetry, such as new BullMQOtel('app')",
    );
  }
  for (const [name, value] of [
    ['concurrency', resolved.concurrency],
    ['retryWindowMs', resolved.retryWindowMs],
    ['backoff.baseDelayMs', resolved.backoff.baseDelayMs],
    ['backoff.maxDelayMs', resolved.backoff.maxDelayMs],
    ['holdRecheckMs', resolved.holdRecheckMs],
    ['holdWindowMs', resolved.holdWindowMs],
    ['tenantConcurrency', resolved.tenantConcurrency],
    ['shutdownTimeoutMs', resolved.shutdownTimeoutMs],
    ['retention.logTtlMs', resolved.retention.logTtlMs],
    ['retention.logMaxCount', resolved.retention.logMaxCount],
    ['alerts.oldestWaitingMs', resolved.alerts.oldestWaitingMs],
    ['maxMessageBytes', resolved.maxMessageBytes],
    ['storeTimeoutMs', resolved.storeTimeoutMs],
    ['attemptTimeoutMs', resolved.attemptTimeoutMs],
  ] as const) {
    if (!Number.isFinite(value) || value <= 0) {
      throw new Error(`SmtpSettingsModule: outbox.${name} must be a positive number`);
    }
  }
  if (!Number.isInteger(resolved.tenantConcurrency)) {
    throw new Error('SmtpSettingsModule: outbox.tenantConcurrency must be a whole number');
  }
  return resolved;
}
