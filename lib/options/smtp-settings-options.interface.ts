import type { CanActivate, Type } from '@nestjs/common';
import type { SmtpSettingsStore } from '../interfaces/smtp-settings-store.interface';
import type { UpgradeCenter } from '../interfaces/upgrade-center.interface';
import type { OutboxAlert } from '../interfaces/outbox.interface';
import type { GoogleOptions } from './google-options.interface';
import type { MicrosoftOptions } from './microsoft-options.interface';
import type { OutboxOptions } from './outbox-options.interface';
import type { SmtpPoolOptions } from './pool-options.interface';
import type { RateLimit } from './rate-limit.interface';
import type { SmtpRelayOptions } from './relay-options.interface';
import type { SmtpRetryOptions } from './retry-options.interface';
import type { SmtpTlsTrustOptions } from './tls-options.interface';

/** Anything with the request Nest hands to guards: Express, Fastify or another adapter. */
export type SmtpSettingsRequest = Record<string, unknown> & { headers: Record<string, unknown> };

export interface SmtpSettingsModuleOptions {
  /**
   * Where settings are kept. The module calls the store's `close()` on shutdown.
   * @default a `FileSmtpSettingsStore` at `dataFile`
   */
  store?: SmtpSettingsStore;
  /**
   * A store class that Nest instantiates with dependency injection, instead of `store`.
   */
  storeClass?: Type<SmtpSettingsStore>;
  /**
   * The file of the default file store. Ignored when `store` or `storeClass` is given.
   * @default '.data/smtp-settings.json' (relative to the working directory)
   */
  dataFile?: string;
  /**
   * 32 random bytes, base64, that seal secrets (AES-256-GCM). Generate one with
   * `node -e "console.log(require('crypto').randomBytes(32).toString('base64'))"`.
   * @default the file store generates a key file beside its data file (mode 0600) once; other stores require a key
   */
  encryptionKey?: string;
  /**
   * Keys used before `encryptionKey`: secrets sealed with them can still be opened, and are sealed
   * again with the current key on their next save.
   * @default []
   */
  previousEncryptionKeys?: string[];
  /**
   * How to tell whether an Upgrade Center upgrade (such as `smtp-oauth`) is installed for a tenant:
   * the ids of the upgrades installed for every tenant, a function of an id and a tenant, or an
   * `UpgradeCenter`.
   * @default [] (nothing installed: Bearer authentication is unavailable)
   */
  upgrades?:
    | readonly string[]
    | ((upgradeId: string, tenant: string) => boolean | Promise<boolean>)
    | UpgradeCenter;
  /**
   * An `UpgradeCenter` class that Nest instantiates with dependency injection, instead of `upgrades`.
   */
  upgradeCenterClass?: Type<UpgradeCenter>;
  /**
   * The guards that protect every route, typically an admin check. All must pass.
   * The module refuses to start with none, unless `allowUnauthenticated` is `true`.
   * @default []
   */
  guards?: Array<CanActivate | Type<CanActivate>>;
  /**
   * Let messages name content for nodemailer to read when it sends: a local file (`path`) or a
   * URL (`href`) in an attachment, `html`, `text` and the like. Off, such a message is refused
   * (`EXTERNAL_CONTENT_REFUSED`, 400) and nodemailer's file and URL access stay closed: a
   * message built from user input could otherwise attach `/etc/passwd` or fetch a cloud metadata
   * URL. Turn it on only if every message's author is trusted. The outbox refuses such content
   * whatever this says: it keeps the bytes it was given, nothing to fetch later.
   * @default false
   */
  allowFileAndUrlContent?: boolean;
  /**
   * Serve the routes with no guard at all. Only for local experiments: a warning is logged at startup.
   * @default false
   */
  allowUnauthenticated?: boolean;
  /**
   * Who made a change, as the history records it.
   * @default the `id`, `username` or `email` of `req.user`, else `null`
   */
  actor?: (req: SmtpSettingsRequest) => string | null | undefined;
  /**
   * How the REST routes find the caller's tenant, after the app's guards ran: derive it from what
   * a guard authenticated (`req.user.tenantId`), never from a header or parameter the caller
   * chooses. A route for which it returns nothing (or an invalid id) answers 403 `TENANT_REQUIRED`
   * and touches nothing.
   * @default every route administers `defaultTenant`
   */
  tenant?: (req: SmtpSettingsRequest) => string | undefined | Promise<string | undefined>;
  /**
   * The tenant of single-tenant apps, and of everything that names no tenant: the routes without
   * the `tenant` option, `send()` without `{ tenant }`, the service's methods without one.
   * @default 'default'
   */
  defaultTenant?: string;
  /**
   * How many tenants' custom SMTP pools may be open at once; beyond that, the least recently used
   * one is closed (it finishes its messages first). Bounds open sockets to `maxOpenRoutes` × pool size.
   * @default 100
   */
  maxOpenRoutes?: number;
  /**
   * A tenant's custom SMTP pool closes when it sent nothing for this long, in milliseconds; the
   * next message opens it again.
   * @default 300000 (5 minutes)
   */
  routeIdleTimeoutMs?: number;
  /**
   * How many history entries a store keeps and `GET /history` returns.
   * @default 100
   */
  historyLimit?: number;
  /**
   * The vendor relay that mail goes through while no custom settings are saved.
   * @default no relay: sending without custom settings fails with a clear error
   */
  relay?: SmtpRelayOptions;
  /**
   * Trust a private CA for every outbound TLS connection: SMTP servers, the relay and Microsoft
   * Entra ID. Certificates are always verified.
   * @default the system's trusted CAs only
   */
  tls?: SmtpTlsTrustOptions;
  /**
   * The deadline of each attempt to hand a message to the mail server, in milliseconds: connecting,
   * the greeting, signing in, the envelope, the message and the server's last reply, all together.
   * Every byte resets a socket's idle timeout, so a server that keeps a reply going (endless `250-`
   * lines, a greeting that never ends) or never answers would otherwise hold the attempt for good.
   * Past it the connection is closed: before the whole message was written the attempt failed
   * (`DeliveryFailedError`, code `ETIMEDOUT`) and is retried like a dropped connection; after it,
   * the server may have the message (`DeliveryUncertainError`), and it is never sent again. It
   * applies to `send` and to the outbox's worker alike (`outbox.attemptTimeoutMs` is the same
   * setting, under the outbox's options), over SMTP and Microsoft Graph (there the request, its
   * token and the mailbox's queue count; a request written whole without an answer is uncertain).
   * @default 60000
   */
  attemptTimeoutMs?: number;
  /**
   * Retries of transient failures.
   * @default { attempts: 3, baseDelayMs: 250, maxDelayMs: 5000 }
   */
  retry?: SmtpRetryOptions;
  /**
   * Connection pooling of the SMTP transporters.
   * @default nodemailer's: 5 connections, 100 messages each
   */
  pool?: SmtpPoolOptions;
  /**
   * Microsoft 365 (Bearer) options: the authority host for sovereign clouds, the scope, the rate limit.
   * @default { authorityHost: 'https://login.microsoftonline.com', scope: 'https://outlook.office365.com/.default', graphHost: 'https://graph.microsoft.com', rateLimit: { limit: 30, windowMs: 60000 } }
   */
  microsoft?: MicrosoftOptions;
  /**
   * Google Workspace (Bearer) options: the token endpoint, the policy for more than 100 recipients.
   * @default { tokenUrl: 'https://oauth2.googleapis.com/token', recipientPolicy: relay.recipientPolicy }
   */
  google?: GoogleOptions;
  /**
   * Per-admin limit of `verify` and `test-email`, which reach out to other hosts. `false` turns it off.
   * @default { limit: 30, windowMs: 60000 }
   */
  adminActionsRateLimit?: RateLimit | false;
  /**
   * How long `verify` and `test-email` wait for the connection and the greeting, in milliseconds;
   * each later reply may take twice as long, and a test email three times as long in all.
   * @default 10000
   */
  verifyTimeoutMs?: number;
  /**
   * The durable outbox behind `MailerService.enqueue`: a BullMQ queue on Redis or PostgreSQL,
   * shared by every replica, with a send log, retries, held messages and alerts.
   * @default no outbox: `enqueue` fails with `OUTBOX_NOT_CONFIGURED`; `send` is unchanged
   */
  outbox?: OutboxOptions;
  /**
   * Called with every outbox alert (also on `OutboxService.alerts$`): a tenant's mail held, a
   * message finally failed, a backlog, delivery recovered. Alerts carry no secret.
   */
  onAlert?: (alert: OutboxAlert) => void;
  /**
   * OpenTelemetry: the module reports spans and metrics to the tracer and meter providers the app
   * registered (through `@opentelemetry/api`, an optional peer; the module never starts an SDK).
   * `tenantAttribute: true` adds `smtp_settings.tenant` to every metric: a series per tenant, a
   * cardinality the operator chooses (spans carry the tenant either way).
   * @default { tenantAttribute: false }
   */
  telemetry?: { tenantAttribute?: boolean };
}

/** Static options, known when the module is imported (also with `forRootAsync`). */
export interface SmtpSettingsModuleExtras {
  /**
   * Register the module globally, so that `MailerService`, `SmtpSettingsService`, `OutboxService`
   * and `LiveSmtpTransport` can be injected in every module, not only the one importing it.
   * @default false
   */
  isGlobal?: boolean;
  /**
   * The route prefix of the REST API.
   * @default 'smtp-settings'
   */
  path?: string;
  /**
   * Serve the REST API. `false` leaves the controller out, for an app that only sends mail (a
   * worker, for one): no route is served, so no guard is required.
   * @default true
   */
  routes?: boolean;
}
