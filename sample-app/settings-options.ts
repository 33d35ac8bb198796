import { resolve } from 'node:path';
import {
  PostgresSmtpSettingsStore,
  type SmtpRelayOptions,
  type SmtpSettingsModuleOptions,
  type UpgradeCenter,
} from '../lib';
import type { SampleAdmin } from './admin-token';
import { AdminTokenGuard } from './admin-token.guard';
import type { DevInbox } from './dev-inbox/dev-inbox';
import { logAlert } from './outbox/outbox-alerts';
import { OUTBOX_QUEUE } from './outbox/outbox.config';
import type { SampleConfig } from './sample.config';
import { bullmqTelemetry } from './telemetry/bullmq-telemetry';

/** The sender of relay mail that names none, while the dev inbox is the relay. */
export const DEV_INBOX_FROM = 'Sample App <noreply@example.com>';

/** The file store's data file and key file under DATA_DIR (absolute). */
export function fileStorePaths(config: SampleConfig): { dataFile: string; keyFile: string } {
  return {
    dataFile: resolve(config.dataDir, 'smtp-settings.json'),
    keyFile: resolve(config.dataDir, 'smtp-settings.key'),
  };
}

/** SMTP_RELAY_URL, or the dev inbox (started here) with the same 50-recipient policy. */
export async function relayOptions(
  config: SampleConfig,
  inbox: DevInbox,
): Promise<SmtpRelayOptions> {
  if (config.relay) return { transport: config.relay.url, from: config.relay.from };
  const { host, port } = await inbox.start();
  return {
    transport: { host, port, secure: false, ignoreTLS: true },
    from: DEV_INBOX_FROM,
    maxRecipients: 50,
    recipientPolicy: 'reject',
  };
}

/** The settings module's options, from the environment. */
export async function smtpSettingsOptions(
  config: SampleConfig,
  upgrades: UpgradeCenter,
  inbox: DevInbox,
): Promise<SmtpSettingsModuleOptions> {
  return {
    ...storeOptions(config),
    encryptionKey: config.encryptionKey,
    upgrades,
    guards: [AdminTokenGuard],
    // The tenant the admin token administers, as the guard authenticated it: never a header or a
    // parameter that the caller picks.
    tenant: (req) => (req.user as SampleAdmin | undefined)?.tenantId,
    relay: await relayOptions(config, inbox),
    ...(config.microsoftAuthorityHost || config.microsoftGraphHost
      ? {
          microsoft: {
            ...(config.microsoftAuthorityHost
              ? { authorityHost: config.microsoftAuthorityHost }
              : {}),
            ...(config.microsoftGraphHost ? { graphHost: config.microsoftGraphHost } : {}),
          },
        }
      : {}),
    ...(config.googleTokenUrl ? { google: { tokenUrl: config.googleTokenUrl } } : {}),
    ...(config.tlsCa ? { tls: { ca: config.tlsCa } } : {}),
    ...outboxOptions(config),
    // A label per tenant on every metric only when the operator asks: 10,000 tenants are 10,000 series.
    ...(config.telemetry
      ? { telemetry: { tenantAttribute: config.telemetry.tenantAttribute } }
      : {}),
  };
}

/**
 * REDIS_URL or OUTBOX=postgres: the durable outbox behind `MailerService.enqueue`, with its alerts
 * logged, and BullMQ's own spans while telemetry is on. The outbox opens its own connections from
 * the URL and closes them on shutdown.
 */
function outboxOptions(
  config: SampleConfig,
): Pick<SmtpSettingsModuleOptions, 'outbox' | 'onAlert'> {
  if (!config.outbox) return {};
  const { backend, url, prefix } = config.outbox;
  return {
    outbox: {
      backend,
      connection: url,
      prefix,
      queueName: OUTBOX_QUEUE,
      ...(config.telemetry ? { telemetry: bullmqTelemetry() } : {}),
    },
    onAlert: logAlert,
  };
}

function storeOptions(config: SampleConfig): Pick<SmtpSettingsModuleOptions, 'store' | 'dataFile'> {
  if (config.databaseUrl) {
    // The store opens its own pool from the URL and ends it on shutdown; the key is SMTP_SETTINGS_KEY.
    return { store: new PostgresSmtpSettingsStore({ connectionString: config.databaseUrl }) };
  }
  return { dataFile: fileStorePaths(config).dataFile };
}
