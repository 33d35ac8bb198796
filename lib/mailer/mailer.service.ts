import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { createTransport, type SendMailOptions, type Transporter } from 'nodemailer';
import type { Observable } from 'rxjs';
import type { MailEvent, MailerStatus } from '../interfaces/mail-events.interface';
import { LiveSmtpTransport } from '../transport/live-smtp-transport';
import { SmtpVerifier } from '../transport/verify/smtp-verifier';
import type { TestEmailResult } from '../interfaces/test-email-result.interface';
import type { VerifyResult } from '../interfaces/verify-result.interface';
import type { SendResult } from '../interfaces/send-result.interface';
import type { SmtpSettingsInput } from '../interfaces/smtp-settings-input.interface';
import { assertNoHeaderInjection } from './header-guard';

export type { TestEmailResult } from '../interfaces/test-email-result.interface';
export type { SendResult } from '../interfaces/send-result.interface';

/**
 * Sends mail through whatever the admin configured: the custom SMTP server, or the relay with its
 * recipient limit. `from` and `replyTo` default to the configured sender and reply-to.
 */
@Injectable()
export class MailerService implements OnApplicationShutdown {
  private readonly transporter: Transporter<SendResult>;

  constructor(
    private readonly transport: LiveSmtpTransport,
    private readonly verifier: SmtpVerifier,
  ) {
    this.transporter = createTransport(transport);
  }

  async send(message: SendMailOptions): Promise<SendResult> {
    assertNoHeaderInjection(message);
    return this.transporter.sendMail(message);
  }

  /**
   * Connects, says EHLO, negotiates TLS and authenticates, without sending anything. Checks the
   * saved settings (or the relay), or `settings`, an unsaved body validated as `PUT` would: invalid
   * settings throw `SettingsValidationError`.
   */
  verify(settings?: SmtpSettingsInput): Promise<VerifyResult> {
    return this.verifier.verify(settings);
  }

  /**
   * A short message from the configured sender through the current channel, to prove delivery. It
   * goes over a connection of its own with the admin timeouts, never the pool, and is not retried:
   * every failure is a result that says where it happened and what to change.
   */
  sendTestEmail(to: string): Promise<TestEmailResult> {
    assertNoHeaderInjection({ to });
    return this.verifier.sendTestEmail(to);
  }

  status(): MailerStatus {
    return this.transport.status();
  }

  /** Every message sent or failed, including those sent through @nestjs-modules/mailer. */
  get events$(): Observable<MailEvent> {
    return this.transport.events$;
  }

  onApplicationShutdown(): void {
    this.transporter.close();
  }
}
