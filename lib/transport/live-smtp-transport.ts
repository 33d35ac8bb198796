import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { MailMessage, Transport } from 'nodemailer';
import { Subject, type Observable, type Subscription } from 'rxjs';
import { TenantSettings } from '../settings/tenant-settings';
import { BackupSettings } from '../settings/backup-settings';
import type { OutboxAlert } from '../interfaces/outbox.interface';
import { assertTenantId } from '../settings/tenant-id';
import { DeliveryUnavailableError } from '../errors/delivery-unavailable.error';
import { ExternalContentRefusedError } from '../errors/external-content-refused.error';
import { ChannelMissingError } from '../errors/channel-missing.error';
import { UpgradeCenter } from '../interfaces/upgrade-center.interface';
import type { MailEvent, MailerStatus } from '../interfaces/mail-events.interface';
import type { SendResult } from '../interfaces/send-result.interface';
import type { SmtpSettingsModuleOptions } from '../options/smtp-settings-options.interface';
import { SMTP_SETTINGS_MODULE_OPTIONS } from '../options/smtp-settings.constants';
import { SMTP_SETTINGS_OPTION_DEFAULTS as DEFAULTS } from '../options/smtp-settings.defaults';
import { PACKAGE_VERSION } from '../internal/package-version';
import { needsUpgrade, requireUpgradeFor } from '../upgrades/require-upgrade';
import { messageOf } from '../internal/message-of';
import { BackupMissingError } from '../errors/backup-missing.error';
import type { SmtpConnectionName } from '../interfaces/smtp-connection.interface';
import type { SmtpSettings } from '../interfaces/smtp-settings.types';
import { ChannelRegistry, type TenantRoute } from './channel-registry';
import { findExternalContent } from './external-content';
import type { DeliveryRun } from './delivery-attempts';
import { SmtpChannelFactory } from './smtp-channel.factory';
import { TenantDeliveryLog } from './tenant-delivery-log';
import { FAILOVER_CLOCK, FailoverCircuits } from './failover-circuits';
import { FailoverDelivery } from './failover-delivery';
import { smtpTelemetry, within, type SmtpTelemetry } from '../telemetry/smtp-telemetry';
import { routeTelemetry } from './route-telemetry';

/**
 * A nodemailer transport plugin that always sends through what each tenant's admin configured.
 * Hand it to `createTransport()` (or to @nestjs-modules/mailer) once; a message names its tenant
 * in `tenant` (none: the default tenant). It keeps one channel per tenant and swaps a tenant's
 * channel when that tenant's settings change, without losing a message in flight. It picks the
 * channel and reports each message; the channel does the sending.
 */
@Injectable()
export class LiveSmtpTransport
  implements Transport<SendResult>, OnModuleInit, OnApplicationShutdown
{
  readonly name = 'nest-smtp-settings';
  readonly version = PACKAGE_VERSION;

  private readonly logger = new Logger('SmtpSettings');
  private readonly events = new Subject<MailEvent>();
  /** Aborted at shutdown: retry delays and rate-limit waits end, and no channel is built again. */
  private readonly shutdown = new AbortController();
  private readonly registry: ChannelRegistry;
  /** The tenants' backup connections: never the relay. */
  private readonly backupRegistry: ChannelRegistry;
  private readonly circuits: FailoverCircuits;
  private readonly failover: FailoverDelivery;
  private readonly alerts = new Subject<OutboxAlert>();
  private readonly outcomes = new TenantDeliveryLog();
  private readonly allowExternalContent: boolean;
  private readonly telemetry: SmtpTelemetry;
  private readonly subscriptions: Subscription[] = [];
  // Injected as properties, so that no signature of this class names the module's internal parts:
  // the settings with their secrets, and the channels built from them.
  @Inject(TenantSettings) private readonly settings!: TenantSettings;
  @Inject(SmtpChannelFactory) private readonly channels!: SmtpChannelFactory;
  @Inject(BackupSettings) private readonly backups!: BackupSettings;

  /** Every message sent or failed, whichever API sent it, each with its tenant. */
  readonly events$: Observable<MailEvent> = this.events.asObservable();
  /** `failover` and `failback` of direct sends, each with its tenant (also to `onAlert`). */
  readonly alerts$: Observable<OutboxAlert> = this.alerts.asObservable();

  constructor(
    @Inject(UpgradeCenter) private readonly upgrades: UpgradeCenter,
    @Inject(SMTP_SETTINGS_MODULE_OPTIONS) private readonly options: SmtpSettingsModuleOptions,
    // The failover circuits' clock: Date.now, or a test's.
    @Optional() @Inject(FAILOVER_CLOCK) clock?: () => number,
  ) {
    this.allowExternalContent = options.allowFileAndUrlContent === true;
    this.telemetry = smtpTelemetry(options);
    const limits = {
      maxOpen: options.maxOpenRoutes ?? DEFAULTS.maxOpenRoutes,
      idleTimeoutMs: options.routeIdleTimeoutMs ?? DEFAULTS.routeIdleTimeoutMs,
    };
    const custom = (tenant: string, version: number, saved: SmtpSettings) =>
      this.channels.custom(tenant, version, saved);
    this.registry = new ChannelRegistry(
      {
        settingsOf: (tenant) => this.settings.getWithSecrets(tenant),
        custom,
        relay: () => {
          if (!this.channels.hasRelay) throw new ChannelMissingError();
          return this.channels.relay();
        },
      },
      limits,
      this.shutdown.signal,
    );
    // The relay is never a failover target: a tenant without a backup has none.
    const noBackup = () => {
      throw new BackupMissingError();
    };
    this.backupRegistry = new ChannelRegistry(
      { settingsOf: (tenant) => this.backups.getWithSecrets(tenant), custom, relay: noBackup },
      limits,
      this.shutdown.signal,
    );
    this.circuits = new FailoverCircuits(clock ?? Date.now);
    this.failover = new FailoverDelivery({
      main: this.registry,
      backup: this.backupRegistry,
      circuits: this.circuits,
      // A backup that cannot be read is no reason to fail a message main can send.
      hasBackup: (tenant) => {
        try {
          const has = this.backups.has(tenant);
          return typeof has === 'boolean' ? has : has.catch(() => false);
        } catch {
          return false;
        }
      },
      assertAllowed: (route, tenant) => this.assertAllowed(route, tenant),
      alert: (alert) => this.alert(alert),
      logger: this.logger,
    });
  }

  /** The tenant of a message that names none. */
  get defaultTenant(): string {
    return this.settings.defaultTenant;
  }

  onModuleInit(): void {
    // Only mark the tenant's channel stale: its next message builds from the newest settings, so
    // a burst of changes builds one transporter, not one per change. New main settings close the
    // tenant's circuit: the next message tries them at once.
    this.subscriptions.push(
      this.settings.changes$.subscribe(({ tenant }) => {
        this.registry.retire(tenant);
        this.circuits.close(tenant);
      }),
      this.backups.changes$.subscribe(({ tenant }) => this.backupRegistry.retire(tenant)),
    );
  }

  onApplicationShutdown(): void {
    this.shutdown.abort(
      new DeliveryUnavailableError(
        'shut-down',
        'The application is shutting down: mail can no longer be sent',
      ),
    );
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    this.registry.retireAll();
    this.backupRegistry.retireAll();
    this.events.complete();
    this.alerts.complete();
  }

  send(
    mail: MailMessage<SendResult>,
    callback: (error: Error | null, info: SendResult) => void,
  ): void {
    this.deliver(mail).then(
      (info) => callback(null, info),
      (error: Error) => callback(error, undefined as unknown as SendResult),
    );
  }

  /** Never throws for a valid tenant: it reads what the admin saved without opening its secret. */
  async status(tenant: string = this.defaultTenant): Promise<MailerStatus> {
    assertTenantId(tenant);
    const { source, version } = await this.settings.get(tenant);
    const route = source === 'custom' ? 'custom' : this.channels.hasRelay ? 'relay' : 'none';
    const open = this.circuits.stateOf(tenant);
    const failover = open && {
      reason: open.reason,
      since: new Date(open.since).toISOString(),
      retryMainAt: new Date(open.retryMainAt).toISOString(),
    };
    const connection = open ? 'backup' : 'main';
    return {
      route,
      settingsVersion: version,
      ...this.outcomes.of(tenant),
      connection,
      failover: failover ?? null,
    };
  }

  private async deliver(mail: MailMessage): Promise<SendResult> {
    // Checked before anything else, and never echoed further than the error: an id that is not
    // valid reaches no log line, no event and no store.
    const tenant = assertTenantId(
      (mail.data as { tenant?: unknown }).tenant ?? this.defaultTenant,
      'the tenant of the message',
    );
    this.guardExternalContent(mail);
    const run: DeliveryRun = { signal: this.shutdown.signal, attempts: 0 };
    let used: TenantRoute | undefined;
    let connection = 'main' as SmtpConnectionName;
    const probe = this.telemetry.sending(tenant, mail.data);
    try {
      const info = await within(probe, () =>
        this.failover.send(tenant, mail, run, (route, which) => {
          used = route;
          connection = which;
          probe?.route(routeTelemetry(route, which));
        }),
      );
      // The relay's channel is shared: the version is the tenant's own. Written into the result
      // the channel made for this message alone, not into a copy: a spread of it cost 2 µs.
      const result: SendResult = info;
      result.settingsVersion = used!.version;
      result.connection = connection;
      const { messageId, accepted, rejected, settingsVersion } = result;
      this.outcomes.succeeded(tenant);
      probe?.sent(result);
      this.events.next({
        type: 'sent',
        tenant,
        messageId,
        route: used!.channel.kind,
        settingsVersion,
        connection,
        accepted,
        rejected,
        attempts: run.attempts,
      });
      return result;
    } catch (error) {
      const { code = 'ESEND', message } = error as Error & { code?: string };
      this.outcomes.failed(tenant, code, message);
      probe?.failed(error);
      const kind = used?.channel.kind;
      // Once per message; the attempts before the last one are at debug level.
      this.logger.warn(
        `Mail not sent for tenant ${tenant} (${code}, ${run.attempts} attempt(s), ${kind ?? 'no'} channel${connection === 'backup' ? ' of the backup connection' : ''}): ${message}`,
      );
      this.events.next({
        type: 'failed',
        tenant,
        route: kind,
        settingsVersion: used?.version,
        code,
        message,
        attempts: run.attempts,
      });
      throw error;
    }
  }

  /** To `alerts$` and `onAlert`; a throwing handler is logged, never the sender's problem. */
  private alert(alert: OutboxAlert): void {
    this.alerts.next(alert);
    try {
      this.options.onAlert?.(alert);
    } catch (error) {
      this.logger.error(`onAlert threw for a ${alert.type} alert: ${messageOf(error)}`);
    }
  }

  /**
   * Fails with `EXTERNAL_CONTENT_REFUSED`, naming the field, when `message` names a local file or a
   * URL for nodemailer to read at send time, unless the module option `allowFileAndUrlContent` is
   * set. Every message this transport sends is checked; call it to check one before composing it.
   */
  assertContentAllowed(message: object): void {
    if (this.allowExternalContent) return;
    const field = findExternalContent(message);
    if (field) throw new ExternalContentRefusedError(field);
  }

  /** The check, and nodemailer's own file and URL access closed in every transporter after this one. */
  private guardExternalContent(mail: MailMessage): void {
    if (this.allowExternalContent) return;
    this.assertContentAllowed(mail.data);
    Object.assign(mail.data, { disableFileAccess: true, disableUrlAccess: true });
  }

  /** Bearer settings saved before the upgrade was removed fail closed: never another server. */
  private assertAllowed({ channel }: TenantRoute, tenant: string): Promise<void> | undefined {
    // Basic channels need no upgrade: no async check (two promises) for each of their messages.
    if (!needsUpgrade(channel.authType)) return undefined;
    return requireUpgradeFor(
      this.upgrades,
      channel.authType,
      'Microsoft 365 (Bearer) authentication',
      'saved',
      tenant,
    );
  }
}
