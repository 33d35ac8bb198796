import { readFileSync } from 'node:fs';
import { Inject } from '@nestjs/common';
import { getConfigToken, registerAs } from '@nestjs/config';
import { parseAdminTokens, type AdminTokenEntry } from './admin-tokens.config';
import { parseOutbox, type SampleOutboxConfig } from './outbox/outbox.config';
import { SampleConfigError } from './sample-config.error';
import { parseTelemetry, type SampleTelemetryConfig } from './telemetry/telemetry.config';

/** Environment values as strings; `undefined` (or an empty string) means unset. */
export type SampleEnv = Record<string, string | undefined>;

/** The sample app's settings, read once from the environment (and a `.env` file, if present). */
export interface SampleConfig {
  /** PORT, default 3000; 0 lets the OS pick one. */
  port: number;
  /**
   * ADMIN_TOKEN (tenant `default`) and ADMIN_TOKENS (`token:tenant` pairs). With neither, a random
   * token for `default` is generated (and printed).
   */
  adminTokens: AdminTokenEntry[];
  /** SMTP_RELAY_URL and SMTP_RELAY_FROM: the vendor relay. Unset: the embedded dev inbox. */
  relay?: { url: string; from?: string };
  /** DEV_INBOX_PORT, default 2525; only used without SMTP_RELAY_URL. */
  devInboxPort: number;
  /** DATA_DIR, default `.data`: the file store and its key. */
  dataDir: string;
  /** DATABASE_URL: use the PostgreSQL store instead of the file store. */
  databaseUrl?: string;
  /** SMTP_SETTINGS_KEY: 32 random bytes, base64. Required with DATABASE_URL. */
  encryptionKey?: string;
  /** INSTALLED_UPGRADES, a comma-separated list such as `smtp-oauth`. */
  installedUpgrades: string[];
  /** MICROSOFT_AUTHORITY_HOST: the Entra ID sign-in host, for sovereign clouds. */
  microsoftAuthorityHost?: string;
  /** MICROSOFT_GRAPH_HOST: the Microsoft Graph host, for sovereign clouds. */
  microsoftGraphHost?: string;
  /** GOOGLE_TOKEN_URL: Google's token endpoint for Google Workspace settings (tests, proxies). */
  googleTokenUrl?: string;
  /**
   * TLS_CA_FILE: a PEM file of CA certificates trusted beside the system's, for SMTP servers and
   * identity endpoints behind a private CA. Its content, read at start-up.
   */
  tlsCa?: string;
  /**
   * REDIS_URL, or OUTBOX=postgres with DATABASE_URL (and OUTBOX_PREFIX): notifications are enqueued
   * in the durable outbox. Unset: they are sent directly.
   */
  outbox?: SampleOutboxConfig;
  /**
   * OTEL=1 or any OTEL_* variable: the OpenTelemetry SDK runs (bootstrap starts it before Nest),
   * with `GET /metrics` and traces to the console or OTLP. Unset: nothing of it is loaded.
   */
  telemetry?: SampleTelemetryConfig;
}

export const SAMPLE_CONFIG = 'sample';

/** Checks the environment, failing with one message per wrong variable. */
export function parseSampleEnv(env: SampleEnv): SampleConfig {
  const problems: string[] = [];
  const value = (name: string): string | undefined => {
    const raw = env[name]?.trim();
    return raw ? raw : undefined;
  };
  const port = (name: string, fallback: number): number => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    const parsed = Number(raw);
    if (!/^\d+$/.test(raw) || parsed > 65535) {
      problems.push(`${name} must be a port number from 0 to 65535 (got "${raw}")`);
      return fallback;
    }
    return parsed;
  };

  const relayUrl = value('SMTP_RELAY_URL');
  if (relayUrl !== undefined && !/^smtps?:\/\//i.test(relayUrl)) {
    problems.push('SMTP_RELAY_URL must start with smtp:// or smtps://');
  } else if (relayUrl !== undefined && urlTurnsVerificationOff(relayUrl)) {
    // The library refuses it too, at start-up, naming its own option; this names the variable.
    problems.push(
      'SMTP_RELAY_URL must not turn certificate verification off: remove its ' +
        'tls.rejectUnauthorized parameter (certificates are always verified, the relay’s too)',
    );
  }
  const databaseUrl = value('DATABASE_URL');
  const encryptionKey = value('SMTP_SETTINGS_KEY');
  if (databaseUrl !== undefined && encryptionKey === undefined) {
    problems.push(
      'DATABASE_URL needs SMTP_SETTINGS_KEY (32 random bytes, base64) to seal secrets in PostgreSQL. ' +
        `Generate one with: node -e "console.log(require('crypto').randomBytes(32).toString('base64'))"`,
    );
  }
  const keyBytes = encryptionKey === undefined ? 32 : Buffer.from(encryptionKey, 'base64').length;
  if (keyBytes !== 32) {
    problems.push(`SMTP_SETTINGS_KEY must be 32 bytes encoded in base64 (got ${keyBytes} bytes)`);
  }
  const authorityHost = value('MICROSOFT_AUTHORITY_HOST');
  if (authorityHost !== undefined && !/^https:\/\/[^/\s]+\/?$/i.test(authorityHost)) {
    problems.push(
      'MICROSOFT_AUTHORITY_HOST must be an https:// host such as https://login.microsoftonline.us',
    );
  }

  const graphHost = value('MICROSOFT_GRAPH_HOST');
  if (graphHost !== undefined && !/^https:\/\/[^/\s]+\/?$/i.test(graphHost)) {
    problems.push(
      'MICROSOFT_GRAPH_HOST must be an https:// host such as https://graph.microsoft.us',
    );
  }

  const googleTokenUrl = value('GOOGLE_TOKEN_URL');
  if (googleTokenUrl !== undefined && !/^https:\/\/[^/\s]+(\/\S*)?$/i.test(googleTokenUrl)) {
    problems.push(
      'GOOGLE_TOKEN_URL must be an https:// URL such as https://oauth2.googleapis.com/token',
    );
  }

  const tlsCa = readCaFile(value('TLS_CA_FILE'), problems);

  const config: SampleConfig = {
    port: port('PORT', 3000),
    adminTokens: parseAdminTokens(value('ADMIN_TOKEN'), value('ADMIN_TOKENS'), problems),
    relay: relayUrl ? { url: relayUrl, from: value('SMTP_RELAY_FROM') } : undefined,
    devInboxPort: port('DEV_INBOX_PORT', 2525),
    dataDir: value('DATA_DIR') ?? '.data',
    databaseUrl,
    encryptionKey,
    installedUpgrades: (value('INSTALLED_UPGRADES') ?? '')
      .split(',')
      .map((id) => id.trim())
      .filter(Boolean),
    microsoftAuthorityHost: authorityHost,
    microsoftGraphHost: graphHost,
    googleTokenUrl,
    tlsCa,
    outbox: parseOutbox(value, databaseUrl, problems),
    telemetry: parseTelemetry(env, problems),
  };
  if (problems.length > 0) {
    throw new SampleConfigError(`The sample app cannot start:\n- ${problems.join('\n- ')}`);
  }
  return config;
}

/**
 * The config namespace, read through @nestjs/config: the process environment (with a `.env` file
 * merged in by `ConfigModule`), and `overrides` on top, which tests use instead of touching
 * `process.env`. An override of `undefined` unsets a variable.
 */
export function sampleConfig(overrides: SampleEnv = {}) {
  return registerAs(SAMPLE_CONFIG, () => parseSampleEnv({ ...process.env, ...overrides }));
}

/** Injects the parsed `SampleConfig`. */
export const InjectSampleConfig = (): PropertyDecorator & ParameterDecorator =>
  Inject(getConfigToken(SAMPLE_CONFIG));

/** nodemailer copies `tls.*` query parameters of the URL into its TLS options: anything but true. */
function urlTurnsVerificationOff(url: string): boolean {
  let params: URLSearchParams;
  try {
    params = new URL(url).searchParams;
  } catch {
    return false;
  }
  return params.getAll('tls.rejectUnauthorized').some((value) => value !== 'true');
}

/** The PEM CAs of TLS_CA_FILE; a file that cannot be read or holds no certificate is a problem. */
function readCaFile(path: string | undefined, problems: string[]): string | undefined {
  if (path === undefined) return undefined;
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'unreadable';
    problems.push(`TLS_CA_FILE ${path} cannot be read (${code})`);
    return undefined;
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    problems.push(`TLS_CA_FILE ${path} holds no PEM certificate (-----BEGIN CERTIFICATE----- …)`);
    return undefined;
  }
  return pem;
}
