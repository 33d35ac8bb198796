import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { MailMessage, Transport } from 'nodemailer';
import { Subject, type Observable, type Subscription } from 'rxjs';
import { randomUUID } from 'node:crypto';
import type { SmtpSettingsModuleOptions } from '../options/smtp-settings-options.interface';
import { SmtpSettingsService } from '../settings/smtp-settings.service';
import { SMTP_SETTINGS_MODULE_OPTIONS } from '../options/smtp-settings.constants';
import { DeliveryUnavailableError } from '../errors/delivery-unavailable.error';
import { UpgradeCenter } from '../interfaces/upgrade-center.interface';
import { requireUpgradeFor } from '../upgrades/require-upgrade';
import { sendInBatches } from './batched-delivery';
import { sendWithRetry, type AttemptContext } from './delivery-attempts';
import type { MailEvent, MailerStatus } from '../interfaces/mail-events.interface';
import { NoChannelError } from '../errors/no-channel.error';
import { RecipientLimitExceededError } from '../errors/recipient-limit-exceeded.error';
import { uniqueRecipients } from './recipient-policy';
import { SenderRequiredError } from '../errors/sender-required.error';
import { toSendResult } from './send-result';
import type { SendResult } from '../interfaces/send-result.interface';
import type { SmtpChannel } from './smtp-channel';
import { SmtpChannelFactory } from './smtp-channel.factory';
import { PACKAGE_VERSION } from '../internal/package-version';

/**
 * A nodemailer transport plugin that always sends through what the admin configured. Hand it to
 * `createTransport()` (or to @nestjs-modules/mailer) once; it swaps the pooled transporter behind it
 * when the settings change, without losing a message in flight.
 */
@Injectable()
export class LiveSmtpTransport
  implements Transport<SendResult>, OnModuleInit, OnApplicationShutdown
{
  readonly name = 'nest-smtp-settings';
  readonly version = PACKAGE_VERSION;

  private readonly logger = new Logger('SmtpSettings');
  private readonly events = new Subject<MailEvent>();
  /** Aborted at shutdown: retry delays and rate-limit waits end, and no route is built again. */
  private readonly shutdown = new AbortController();
  private route: SmtpChannel | null = null;
  private lastError: MailerStatus['lastError'] = null;
  private lastSuccessAt: string | null = null;
  private subscription?: Subscription;

  /** Every message sent or failed, whichever API sent it. */
  readonly events$: Observable<MailEvent> = this.events.asObservable();

  constructor(
    private readonly settings: SmtpSettingsService,
    private readonly routes: SmtpChannelFactory,
    @Inject(SMTP_SETTINGS_MODULE_OPTIONS) private readonly options: SmtpSettingsModuleOptions,
    @Inject(UpgradeCenter) private readonly upgrades: UpgradeCenter,
  ) {}

  onModuleInit(): void {
    // Only mark the route stale: the next message builds from the newest settings, so a burst of
    // changes builds one transporter, not one per change.
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
    const route = source === 'custom' ? 'custom' : this.routes.hasRelay ? 'relay' : 'none';
    return {
      route,
      settingsVersion: version,
      lastError: this.lastError,
      lastSuccessAt: this.lastSuccessAt,
    };
  }

  private async deliver(mail: MailMessage): Promise<SendResult> {
    const context: AttemptContext = {
      retry: this.options.retry,
      logger: this.logger,
      signal: this.shutdown.signal,
      tally: { attempts: 0 },
    };
    let route: SmtpChannel | undefined;
    try {
      const used = (route = this.current());
      // Hold the route before the first await, so that a swap in between cannot close it.
      const info = await used.hold(async () => {
        await this.assertAllowed(used);
        this.applyDefaults(mail, used);
        return this.deliverOn(used, mail, context);
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
        attempts: context.tally.attempts,
      });
      return info;
    } catch (error) {
      const { code = 'ESEND', message } = error as Error & { code?: string };
      this.lastError = { code, message, at: new Date().toISOString() };
      // Once per message; the attempts before the last one are at debug level.
      this.logger.warn(
        `Mail not sent (${code}, ${context.tally.attempts} attempt(s), ${route?.kind ?? 'no'} route): ${message}`,
      );
      this.events.next({
        type: 'failed',
        route: route?.kind,
        settingsVersion: route?.version,
        code,
        message,
        attempts: context.tally.attempts,
      });
      throw error;
    }
  }

  private async deliverOn(
    route: SmtpChannel,
    mail: MailMessage,
    context: AttemptContext,
  ): Promise<SendResult> {
    const sendOne = () => sendWithRetry(mail, route, context);
    const limit = route.limit;
    // Only the relay has a limit. getEnvelope() parses every address header again, which costs
    // about a tenth of the CPU nodemailer spends on a message: custom routes skip it.
    if (limit) {
      const envelope = mail.message.getEnvelope();
      const recipients = uniqueRecipients(envelope.to);
      if (recipients.length > limit.maxRecipients) {
        if (limit.policy === 'reject')
          throw new RecipientLimitExceededError(recipients.length, limit.maxRecipients);
        return sendInBatches(mail, route, recipients, limit.maxRecipients, sendOne);
      }
      // The relay counts RCPT TO: send each recipient once, as counted (case-insensitively).
      if (recipients.length < envelope.to.length)
        mail.message.setEnvelope({ from: envelope.from, to: recipients });
    }
    return toSendResult(await sendOne(), route);
  }

  private current(): SmtpChannel {
    this.shutdown.signal.throwIfAborted();
    if (this.route) return this.route;
    const { version, settings } = this.settings.getWithSecrets();
    if (settings) this.route = this.routes.custom(version, settings);
    else if (this.routes.hasRelay) this.route = this.routes.relay(version);
    else throw new NoChannelError();
    return this.route;
  }

  /** Bearer settings saved before the upgrade was removed fail closed: never another server. */
  private async assertAllowed(route: SmtpChannel): Promise<void> {
    await requireUpgradeFor(
      this.upgrades,
      route.authType,
      'Microsoft 365 (Bearer) authentication',
      'saved',
    );
  }

  private retire(): void {
    const old = this.route;
    this.route = null;
    old?.retire();
  }

  private applyDefaults(mail: MailMessage, route: SmtpChannel): void {
    const { from, replyTo } = route.defaults;
    if (!mail.data.from && from) {
      mail.data.from = from;
      mail.message.setHeader('From', from);
      // nodemailer named the Message-ID after a sender it did not have yet (@localhost).
      if (!mail.data.messageId) {
        const address = typeof from === 'string' ? from : (from.address ?? '');
        const domain = address.split('@').pop()?.replace(/>$/, '') || 'localhost';
        mail.message.setHeader('Message-ID', `<${randomUUID()}@${domain}>`);
      }
    }
    // Without one, the message would go out as MAIL FROM:<>, a bounce that nobody can answer.
    if (!mail.data.from) throw new SenderRequiredError();
    if (!mail.data.replyTo && replyTo) {
      mail.data.replyTo = replyTo;
      mail.message.setHeader('Reply-To', replyTo);
    }
  }
}
