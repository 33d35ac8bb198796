import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { MailMessage, Transport } from 'nodemailer';
import { Subject, type Observable, type Subscription } from 'rxjs';
import { SmtpSettingsService } from '../settings/smtp-settings.service';
import { DeliveryUnavailableError } from '../errors/delivery-unavailable.error';
import { ChannelMissingError } from '../errors/channel-missing.error';
import { UpgradeCenter } from '../interfaces/upgrade-center.interface';
import type { MailEvent, MailerStatus } from '../interfaces/mail-events.interface';
import type { SendResult } from '../interfaces/send-result.interface';
import { PACKAGE_VERSION } from '../internal/package-version';
import { requireUpgradeFor } from '../upgrades/require-upgrade';
import type { DeliveryRun } from './delivery-attempts';
import type { SmtpChannel } from './smtp-channel';
import { SmtpChannelFactory } from './smtp-channel.factory';

/**
 * A nodemailer transport plugin that always sends through what the admin configured. Hand it to
 * `createTransport()` (or to @nestjs-modules/mailer) once; it swaps the channel behind it when the
 * settings change, without losing a message in flight. It picks the channel and reports each
 * message; the channel does the sending.
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
  private channel: SmtpChannel | null = null;
  private lastError: MailerStatus['lastError'] = null;
  private lastSuccessAt: string | null = null;
  private subscription?: Subscription;

  /** Every message sent or failed, whichever API sent it. */
  readonly events$: Observable<MailEvent> = this.events.asObservable();

  constructor(
    private readonly settings: SmtpSettingsService,
    private readonly channels: SmtpChannelFactory,
    @Inject(UpgradeCenter) private readonly upgrades: UpgradeCenter,
  ) {}

  onModuleInit(): void {
    // Only mark the channel stale: the next message builds from the newest settings, so a burst
    // of changes builds one transporter, not one per change.
    this.subscription = this.settings.changes$.subscribe(() => this.retire());
  }

  onApplicationShutdown(): void {
    this.shutdown.abort(
      new DeliveryUnavailableError(
        'shut-down',
        'The application is shutting down: mail can no longer be sent',
      ),
    );
    this.subscription?.unsubscribe();
    this.retire();
    this.events.complete();
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

  /** Never throws: it reads what the admin saved without opening its secret. */
  status(): MailerStatus {
    const { source, version } = this.settings.get();
    const route = source === 'custom' ? 'custom' : this.channels.hasRelay ? 'relay' : 'none';
    return {
      route,
      settingsVersion: version,
      lastError: this.lastError,
      lastSuccessAt: this.lastSuccessAt,
    };
  }

  private async deliver(mail: MailMessage): Promise<SendResult> {
    const run: DeliveryRun = { signal: this.shutdown.signal, attempts: 0 };
    let channel: SmtpChannel | undefined;
    try {
      const used = (channel = this.current());
      // Hold the channel before the first await, so that a swap in between cannot close it.
      const info = await used.hold(async () => {
        await this.assertAllowed(used);
        return used.deliver(mail, run);
      });
      const { messageId, accepted, rejected, settingsVersion } = info;
      this.lastSuccessAt = new Date().toISOString();
      this.events.next({
        type: 'sent',
        messageId,
        route: used.kind,
        settingsVersion,
        accepted,
        rejected,
        attempts: run.attempts,
      });
      return info;
    } catch (error) {
      const { code = 'ESEND', message } = error as Error & { code?: string };
      this.lastError = { code, message, at: new Date().toISOString() };
      // Once per message; the attempts before the last one are at debug level.
      this.logger.warn(
        `Mail not sent (${code}, ${run.attempts} attempt(s), ${channel?.kind ?? 'no'} channel): ${message}`,
      );
      this.events.next({
        type: 'failed',
        route: channel?.kind,
        settingsVersion: channel?.version,
        code,
        message,
        attempts: run.attempts,
      });
      throw error;
    }
  }

  private current(): SmtpChannel {
    this.shutdown.signal.throwIfAborted();
    if (this.channel) return this.channel;
    const { version, settings } = this.settings.getWithSecrets();
    if (settings) this.channel = this.channels.custom(version, settings);
    else if (this.channels.hasRelay) this.channel = this.channels.relay(version);
    else throw new ChannelMissingError();
    return this.channel;
  }

  /** Bearer settings saved before the upgrade was removed fail closed: never another server. */
  private async assertAllowed(channel: SmtpChannel): Promise<void> {
    await requireUpgradeFor(
      this.upgrades,
      channel.authType,
      'Microsoft 365 (Bearer) authentication',
      'saved',
    );
  }

  private retire(): void {
    const old = this.channel;
    this.channel = null;
    old?.retire();
  }
}
