import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { MailMessage, SentMessageInfo, Transport } from 'nodemailer';
import { Subject, type Observable, type Subscription } from 'rxjs';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SmtpSettingsModuleOptions } from '../interfaces/smtp-settings-module-options.interface';
import { SmtpSettingsService } from '../settings/smtp-settings.service';
import { SMTP_SETTINGS_MODULE_OPTIONS } from '../smtp-settings.constants';
import { UpgradeRequiredError } from '../errors/upgrade-required.error';
import { UpgradeCenter } from '../upgrades/upgrade-center.interface';
import { SMTP_OAUTH_UPGRADE } from '../upgrades/upgrades.constants';
import type { MailEvent, MailerStatus } from './mail-events.interface';
import { NoRouteError } from './no-route.error';
import { PartialDeliveryError } from './partial-delivery.error';
import { RecipientLimitExceededError } from './recipient-limit-exceeded.error';
import { batches, uniqueRecipients } from './recipient-policy';
import { isAuthFailure, isTransient, retryDelay } from './retry-policy';
import type { SmtpRoute } from './smtp-route';
import { SmtpRouteFactory } from './smtp-route.factory';

interface Tally {
  attempts: number;
}

/** What the live transport adds to nodemailer's result. */
export interface LiveSentMessageInfo {
  messageId: string;
  accepted: string[];
  rejected: string[];
  envelope: { from: string | false; to: string[] };
  response?: string;
  route: 'relay' | 'custom';
  settingsVersion: number;
  /** Only for a message the relay's `split` policy sent in several envelopes. */
  batches?: Array<{
    recipients: string[];
    accepted: string[];
    rejected: string[];
    response?: string;
  }>;
}

/**
 * A nodemailer transport plugin that always sends through what the admin configured. Hand it to
 * `createTransport()` (or to @nestjs-modules/mailer) once; it swaps the pooled transporter behind it
 * when the settings change, without losing a message in flight.
 */
@Injectable()
export class LiveSmtpTransport
  implements Transport<LiveSentMessageInfo>, OnModuleInit, OnApplicationShutdown
{
  readonly name = 'nest-smtp-settings';
  readonly version = '0.1.0';

  private readonly logger = new Logger('SmtpSettings');
  private readonly events = new Subject<MailEvent>();
  private route: SmtpRoute | null = null;
  private lastError: MailerStatus['lastError'] = null;
  private subscription?: Subscription;

  /** Every message sent or failed, whichever API sent it. */
  readonly events$: Observable<MailEvent> = this.events.asObservable();

  constructor(
    private readonly settings: SmtpSettingsService,
    private readonly routes: SmtpRouteFactory,
    @Inject(SMTP_SETTINGS_MODULE_OPTIONS) private readonly options: SmtpSettingsModuleOptions,
    @Inject(UpgradeCenter) private readonly upgrades: UpgradeCenter,
  ) {}

  onModuleInit(): void {
    // Only mark the route stale: the next message builds from the newest settings, so a burst of
    // changes builds one transporter, not one per change.
    this.subscription = this.settings.changes$.subscribe(() => this.retire());
  }

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
    this.retire();
    this.events.complete();
  }

  send(
    mail: MailMessage<LiveSentMessageInfo>,
    callback: (error: Error | null, info: LiveSentMessageInfo) => void,
  ): void {
    this.deliver(mail).then(
      (info) => callback(null, info),
      (error: Error) => callback(error, undefined as unknown as LiveSentMessageInfo),
    );
  }

  status(): MailerStatus {
    const { version, settings } = this.settings.resolve();
    const route = settings ? 'custom' : this.routes.hasRelay ? 'relay' : 'none';
    return { route, settingsVersion: version, lastError: this.lastError };
  }

  private async deliver(mail: MailMessage): Promise<LiveSentMessageInfo> {
    const tally = { attempts: 0 };
    let route: SmtpRoute | undefined;
    try {
      const used = (route = this.current());
      // Hold the route before the first await, so that a swap in between cannot close it.
      const info = await used.hold(async () => {
        await this.assertAllowed(used);
        this.applyDefaults(mail, used);
        return this.deliverOn(used, mail, tally);
      });
      const { messageId, accepted, rejected, settingsVersion } = info;
      this.events.next({
        type: 'sent',
        messageId,
        route: used.kind,
        settingsVersion,
        accepted,
        rejected,
        attempts: tally.attempts,
      });
      return info;
    } catch (error) {
      const { code = 'ESEND', message } = error as Error & { code?: string };
      this.lastError = { code, message, at: new Date().toISOString() };
      this.events.next({
        type: 'failed',
        route: route?.kind,
        settingsVersion: route?.version,
        code,
        message,
        attempts: tally.attempts,
      });
      throw error;
    }
  }

  private async deliverOn(
    route: SmtpRoute,
    mail: MailMessage,
    tally: Tally,
  ): Promise<LiveSentMessageInfo> {
    const limit = route.limit;
    // Only the relay has a limit. getEnvelope() parses every address header again, which costs
    // about a tenth of the CPU nodemailer spends on a message: custom routes skip it.
    if (limit) {
      const recipients = uniqueRecipients(mail.message.getEnvelope().to);
      if (recipients.length > limit.maxRecipients) {
        if (limit.policy === 'reject')
          throw new RecipientLimitExceededError(recipients.length, limit.maxRecipients);
        return this.sendInBatches(mail, route, recipients, limit.maxRecipients, tally);
      }
    }
    return this.result(await this.sendWithRetry(mail, route, tally), route);
  }

  private async sendInBatches(
    mail: MailMessage,
    route: SmtpRoute,
    recipients: string[],
    size: number,
    tally: Tally,
  ): Promise<LiveSentMessageInfo> {
    const from = mail.message.getEnvelope().from;
    const done: NonNullable<LiveSentMessageInfo['batches']> = [];
    let last: SentMessageInfo | undefined;
    for (const batch of batches(recipients, size)) {
      // Same message, same headers (Bcc never written): only the envelope differs.
      mail.message.setEnvelope({ from, to: batch });
      try {
        last = await this.sendWithRetry(mail, route, tally);
      } catch (error) {
        const sentTo = done.flatMap((b) => b.accepted);
        throw new PartialDeliveryError(
          sentTo,
          recipients.filter((r) => !sentTo.includes(r)),
          error,
        );
      }
      const { accepted = [], rejected = [], response } = last;
      done.push({ recipients: batch, accepted, rejected, response });
    }
    return {
      ...this.result(last!, route),
      accepted: done.flatMap((b) => b.accepted),
      rejected: done.flatMap((b) => b.rejected),
      envelope: { from, to: recipients },
      batches: done,
    };
  }

  /**
   * Transient failures are retried with backoff. An authentication failure is never retried as
   * such; with Bearer settings the token is renewed once and the message tried once more, because
   * Microsoft rejects a revoked token with 535 at once instead of the 334 nodemailer renews on.
   */
  private async sendWithRetry(
    mail: MailMessage,
    route: SmtpRoute,
    tally: Tally,
  ): Promise<SentMessageInfo> {
    const attempts = Math.max(1, this.options.retry?.attempts ?? 3);
    let renewed = false;
    for (let attempt = 1; ; attempt++) {
      tally.attempts++;
      try {
        await route.prepare();
        return await route.send(mail);
      } catch (error) {
        if (!renewed && route.authType === 'bearer' && isAuthFailure(error)) {
          renewed = true;
          await route.prepare(true);
          continue;
        }
        if (attempt >= attempts || !isTransient(error)) throw error;
        const delay = retryDelay(attempt, this.options.retry);
        this.logger.warn(
          `Send attempt ${attempt} failed (${(error as Error).message}); retrying in ${delay} ms`,
        );
        await sleep(delay);
      }
    }
  }

  private current(): SmtpRoute {
    if (this.route) return this.route;
    const { version, settings } = this.settings.resolve();
    if (settings) this.route = this.routes.custom(version, settings);
    else if (this.routes.hasRelay) this.route = this.routes.relay(version);
    else throw new NoRouteError();
    return this.route;
  }

  /** Bearer settings saved before the upgrade was removed fail closed: never another server. */
  private async assertAllowed(route: SmtpRoute): Promise<void> {
    if (route.authType !== 'bearer') return;
    if (await this.upgrades.isInstalled(SMTP_OAUTH_UPGRADE.id)) return;
    throw new UpgradeRequiredError(
      SMTP_OAUTH_UPGRADE.id,
      SMTP_OAUTH_UPGRADE.name,
      'Sending with Bearer authentication',
    );
  }

  private retire(): void {
    const old = this.route;
    this.route = null;
    old?.retire();
  }

  private applyDefaults(mail: MailMessage, route: SmtpRoute): void {
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
    if (!mail.data.replyTo && replyTo) {
      mail.data.replyTo = replyTo;
      mail.message.setHeader('Reply-To', replyTo);
    }
  }

  private result(info: SentMessageInfo, route: SmtpRoute): LiveSentMessageInfo {
    return {
      messageId: info.messageId,
      accepted: info.accepted ?? [],
      rejected: info.rejected ?? [],
      envelope: info.envelope,
      response: info.response,
      route: route.kind,
      settingsVersion: route.version,
    };
  }
}
