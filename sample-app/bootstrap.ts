import { Logger, type LoggerService, type LogLevel } from '@nestjs/common';
import { createServer } from 'node:net';
import { sep } from 'node:path';
import { getConfigToken } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AdminToken } from './admin-token';
import { DEFAULT_TENANT } from './admin-tokens.config';
import { AppModule } from './app.module';
import { DevInbox, type DevInboxAddress } from './dev-inbox/dev-inbox';
import { DOCS_PATH, setupOpenApi } from './openapi';
import { FileSmtpSettingsStore, KNOWN_UPGRADES, SmtpSettingsStore } from '../lib';
import { SAMPLE_CONFIG, type SampleConfig, type SampleEnv } from './sample.config';
import type { SampleTelemetryConfig } from './telemetry/telemetry.config';
import { SampleConfigError } from './sample-config.error';
import { fileStorePaths } from './settings-options';
import { startupEnv } from './startup-env';
import { StartupLogger } from './startup-logger';
import { readTelemetryConfig } from './telemetry/read-telemetry';
import { startTelemetryIfOn } from './telemetry/started-telemetry';
import { QUEUES_BOARD_PATH } from './queues-board/board-credentials';
import { SampleUpgradeCenter, upgradesFile } from './upgrade-center.service';
import { PUBLIC_DIR } from './web/pages';

export interface BootstrapOptions {
  /** Values over the process environment; `undefined` unsets one. Tests pass PORT: '0' and so on. */
  env?: SampleEnv;
  /** Nest's logger option: a logger to capture the output, log levels, or `false`. */
  logger?: LoggerService | LogLevel[] | false;
}

export interface SampleAppUrls {
  base: string;
  admin: string;
  docs: string;
  api: string;
  /** Only while the dev inbox is the relay. */
  inbox?: string;
}

export interface StartedSampleApp {
  app: NestExpressApplication;
  urls: SampleAppUrls;
  /** The dev inbox's SMTP address, or `null` with SMTP_RELAY_URL. */
  devInbox: DevInboxAddress | null;
  /** The file store's data file (it names the store), or `null` with DATABASE_URL. */
  dataFile: string | null;
  /** The file store's directory of tenant files, one per tenant, or `null` with DATABASE_URL. */
  settingsDir: string | null;
}

const HOST = '127.0.0.1';

/** Starts the sample app; tests call it too, so they exercise the real wiring. */
export async function bootstrap(options: BootstrapOptions = {}): Promise<StartedSampleApp> {
  const startedInboxes = new Set<DevInbox>();
  // Before Nest: the library asks the OpenTelemetry API for its meter as its providers are built.
  const telemetry = startTelemetryIfOn(readTelemetryConfig(startupEnv(options.env)));
  let app: NestExpressApplication;
  try {
    app = await NestFactory.create<NestExpressApplication>(
      AppModule.forRoot(options.env, startedInboxes, telemetry),
      // Throw instead of exiting, so that main.ts prints one clear message and tests see the error.
      {
        abortOnError: false,
        logger: options.logger === false ? false : new StartupLogger(options.logger),
      },
    );
  } catch (error) {
    // No shutdown hook runs for an app that was never created: close what already listens.
    await Promise.all([...startedInboxes].map((inbox) => inbox.close()));
    await telemetry?.shutdown();
    throw error;
  }
  try {
    app.enableShutdownHooks();
    app.useStaticAssets(PUBLIC_DIR, { prefix: '/assets/', index: false, fallthrough: false });
    setupOpenApi(app);
    const config = app.get<SampleConfig>(getConfigToken(SAMPLE_CONFIG));
    await assertPortFree(config.port);
    await app.listen(config.port, HOST).catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'EADDRINUSE' || error.code === 'EACCES'
        ? portError(config.port, error)
        : error;
    });
    return await announce(app, config);
  } catch (error) {
    await app.close();
    throw error;
  }
}

/** Logs where everything is, without a secret (the generated admin token is the one exception). */
async function announce(
  app: NestExpressApplication,
  config: SampleConfig,
): Promise<StartedSampleApp> {
  const logger = new Logger('SampleApp');
  const address = app.getHttpServer().address() as { port: number };
  const base = `http://${HOST}:${address.port}`;
  const inbox = app.get(DevInbox);
  const devInbox = inbox.enabled ? await inbox.start() : null;
  const urls: SampleAppUrls = {
    base,
    admin: `${base}/`,
    docs: `${base}/${DOCS_PATH}`,
    api: `${base}/smtp-settings`,
    ...(devInbox ? { inbox: `${base}/inbox` } : {}),
  };
  const dataFile = config.databaseUrl ? null : fileStorePaths(config).dataFile;
  const store = app.get<SmtpSettingsStore>(SmtpSettingsStore);
  const settingsDir = store instanceof FileSmtpSettingsStore ? store.dir : null;

  logger.log(`Admin page (SMTP Server Settings): ${urls.admin}`);
  logger.log(`API docs (OpenAPI): ${urls.docs} (JSON: ${base}/${DOCS_PATH}-json)`);
  logger.log(`Settings API: ${urls.api}`);
  if (devInbox) {
    logger.log(
      `Dev inbox: ${urls.inbox}; it is the relay (max 50 recipients per message) and accepts SMTP on ` +
        `${devInbox.host}:${devInbox.port} (no TLS, any login), keeping the last ${inbox.capacity} messages`,
    );
  } else {
    logger.log(
      `Relay: ${redactUrl(config.relay!.url)} (SMTP_RELAY_URL), max 50 recipients per message`,
    );
    if (!config.relay!.from) {
      logger.warn('SMTP_RELAY_FROM is unset: relay mail that names no sender will be refused');
    }
  }
  if (settingsDir) {
    const key = config.encryptionKey ? 'SMTP_SETTINGS_KEY' : fileStorePaths(config).keyFile;
    logger.log(
      `Settings store: ${settingsDir}${sep}, one file per tenant (secrets sealed with the key in ${key})`,
    );
  } else {
    logger.log(`Settings store: PostgreSQL at ${redactUrl(config.databaseUrl!)} (DATABASE_URL)`);
  }
  logger.log(outboxLine(config));
  if (config.outbox) {
    logger.log(
      `Queue dashboard (Bull Board): ${base}${QUEUES_BOARD_PATH} (admin token; read-only but for the default tenant's)`,
    );
  }
  if (config.telemetry) logger.log(telemetryLine(config.telemetry, base));
  const tokens = app.get(AdminToken);
  announceUpgrades(logger, app.get(SampleUpgradeCenter), tokens.tenants, config);
  if (tokens.generated) {
    logger.log(
      `ADMIN_TOKEN is not set; generated admin token: ${tokens.generated} ` +
        `(open ${urls.admin}?token=${tokens.generated} to sign in)`,
    );
  } else if (config.adminTokens.some((entry) => entry.tenant !== DEFAULT_TENANT)) {
    logger.log(
      `Admin tokens: the ones in ADMIN_TOKEN/ADMIN_TOKENS, for the tenants ${tokens.tenants.join(', ')}`,
    );
  } else {
    logger.log('Admin token: the one in ADMIN_TOKEN');
  }
  return { app, urls, devInbox, dataFile, settingsDir };
}

/**
 * What each administered tenant has installed, where it is kept, and why INSTALLED_UPGRADES may no
 * longer apply to a tenant.
 */
function announceUpgrades(
  logger: Logger,
  upgrades: SampleUpgradeCenter,
  tenants: string[],
  config: SampleConfig,
): void {
  const file = upgradesFile(config);
  const namesOf = (tenant: string): string => {
    const names = upgrades
      .list(tenant)
      .map((id) => `${id} (${KNOWN_UPGRADES.find((u) => u.id === id)!.name})`);
    return names.length > 0 ? names.join(', ') : 'none';
  };
  const single = tenants.length === 1 && tenants[0] === DEFAULT_TENANT;
  const installed = single
    ? namesOf(DEFAULT_TENANT)
    : tenants.map((tenant) => `${tenant}: ${namesOf(tenant)}`).join('; ');
  logger.log(`Upgrades installed: ${installed}; changes on the admin page are kept in ${file}`);
  const requested = [...new Set(config.installedUpgrades)].sort().join(',');
  const overridden = tenants.filter(
    (tenant) => upgrades.isSaved(tenant) && upgrades.list(tenant).join(',') !== requested,
  );
  if (requested && overridden.length > 0) {
    const which = single ? '' : ` for ${overridden.join(', ')}`;
    logger.warn(
      `INSTALLED_UPGRADES=${requested} is not applied${which}: the upgrades installed and removed at run time ` +
        `are kept in ${file}. Delete that file to start from INSTALLED_UPGRADES again.`,
    );
  }
}

/** Where notifications go: the outbox (its store, without credentials) or straight to SMTP. */
function outboxLine(config: SampleConfig): string {
  const outbox = config.outbox;
  if (!outbox) {
    return 'Outbox: off; POST /notifications sends at once (set REDIS_URL, or OUTBOX=postgres with DATABASE_URL, to queue)';
  }
  const where =
    outbox.backend === 'redis'
      ? `Redis at ${redactUrl(outbox.url)} (REDIS_URL), key prefix ${outbox.prefix}`
      : `PostgreSQL at ${redactUrl(outbox.url)} (DATABASE_URL), schema ${outbox.prefix}`;
  return `Outbox: ${where}; POST /notifications enqueues, and the admin page shows the send log`;
}

/** Where spans and metrics go, without the OTLP endpoint's credentials. */
function telemetryLine(telemetry: SampleTelemetryConfig, base: string): string {
  const traces =
    telemetry.traces === 'otlp'
      ? `traces to OTLP at ${redactUrl(telemetry.otlpTracesUrl!)}`
      : telemetry.traces === 'console'
        ? 'traces to the console'
        : 'no traces';
  const metrics =
    telemetry.metrics === 'prometheus'
      ? `metrics at ${base}/metrics (the default tenant's admin token)`
      : 'no metrics';
  const tenant = telemetry.tenantAttribute ? ', with the tenant as an attribute' : '';
  return `OpenTelemetry (${telemetry.serviceName}): ${traces}, ${metrics}${tenant}`;
}

/** A busy HTTP port, said as the dev inbox says it: which variable to change. */
function portError(port: number, error: NodeJS.ErrnoException): SampleConfigError {
  return new SampleConfigError(
    `The sample app cannot listen on ${HOST}:${port} (${error.code ?? error.message}). ` +
      'Set PORT to a free port (0 picks one).',
  );
}

/** Fails before Nest tries the port, since Nest logs a failed listen on its own. */
async function assertPortFree(port: number): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error: NodeJS.ErrnoException) => reject(portError(port, error)));
    probe.listen(port, HOST, () => probe.close(() => resolve()));
  });
}

/** A URL without credentials or query: `smtp://user:secret@host:587` becomes `smtp://host:587`. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    return '(an unparsable URL)';
  }
}
