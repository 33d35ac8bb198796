import { Inject, Injectable, Optional, type OnApplicationShutdown } from '@nestjs/common';
import { createTransport, type SendMailOptions, type Transporter } from 'nodemailer';
import type { Observable } from 'rxjs';
import type { MailEvent, MailerStatus } from '../interfaces/mail-events.interface';
import { LiveSmtpTransport } from '../transport/live-smtp-transport';
import { SmtpVerifier } from '../transport/verify/smtp-verifier';
import type { TestEmailResult } from '../interfaces/test-email-result.interface';
import type { VerifyResult } from '../interfaces/verify-result.interface';
import type { SendResult } from '../interfaces/send-result.interface';
import type { SmtpSettingsInput } from '../interfaces/smtp-settings-input.interface';
import type { TenantMailer } from '../interfaces/tenant-mailer.interface';
import { assertTenantId } from '../settings/tenant-id';
import { assertNoHeaderInjection } from '../transport/header-guard';
import { OutboxService } from '../outbox/outbox.service';
import { OutboxNotConfiguredError } from '../errors/outbox-not-configured.error';
import type { EnqueueOptions, EnqueueResult, OutboxAlert } from '../interfaces/outbox.interface';

export type { TestEmailResult } from '../interfaces/test-email-result.interface';
export type { SendResult } from '../interfaces/send-result.interface';

/**
 * Sends mail through whatever the tenant's admin configured: the custom SMTP server, or the relay
 * with its recipient limit. `from` and `replyTo` default to the configured sender and reply-to.
 * Every method takes `{ tenant }`; without it, the default tenant (`'default'`), as single-tenant
 * apps use it.
 */
@Injectable()
export class MailerService implements OnApplicationShutdown {
  private readonly transporter: Transporter<SendResult>;
  // Injected as a property, so that no signature of this class names the internal part.
  @Inject(SmtpVerifier) private readonly verifier!: SmtpVerifier;

  constructor(
    private readonly transport: LiveSmtpTransport,
    // null or absent without the outbox option (a union type needs the explicit token).
    @Optional() @Inject(OutboxService) private readonly outbox?: OutboxService | null,
  ) {
    this.transporter = createTransport(transport);
  }

  /** Sends `message` for the tenant; an invalid tenant id fails with `INVALID_TENANT`, sending nothing. */
  async send(message: SendMailOptions, options?: { tenant?: string }): Promise<SendResult> {
    const tenant = this.tenantOf(options);
    assertNoHeaderInjection(message);
    // Checked here too, so that the error names the field as the caller wrote it.
    this.transport.assertContentAllowed(message);
    // nodemailer hands unknown fields to the transport as they are: the tenant travels in them.
    return this.transporter.sendMail({ ...message, tenant } as SendMailOptions);
  }

  /**
   * Hands `message` to the durable outbox and resolves once its store has it, with
   * `{ id, status: 'queued' }`; a worker delivers it with the tenant's settings as they are then.
   * Refused at once, queueing nothing: header injection, no sender, the relay's `reject` policy
   * over its limit. Without the `outbox` option it fails with `OUTBOX_NOT_CONFIGURED`.
   */
  async enqueue(message: SendMailOptions, options?: EnqueueOptions): Promise<EnqueueResult> {
    if (!this.outbox) throw new OutboxNotConfiguredError();
    return this.outbox.enqueue(message, options);
  }

  /**
   * Connects, says EHLO, negotiates TLS and authenticates, without sending anything. Checks the
   * tenant's saved settings (or the relay), or `settings`, an unsaved body validated as `PUT`
   * would: invalid settings throw `SettingsValidationError`. `connection: 'backup'` checks the
   * tenant's backup connection instead (an unsaved body is validated against the saved backup).
   */
  async verify(
    settings?: SmtpSettingsInput,
    options?: { tenant?: string; connection?: 'main' | 'backup' },
  ): Promise<VerifyResult> {
    return this.verifier.verify(settings, this.tenantOf(options), options?.connection);
  }

  /**
   * A short message from the tenant's configured sender through its current channel, to prove
   * delivery. It goes over a connection of its own with the admin timeouts, never the pool, and is
   * not retried: every failure is a result that says where it happened and what to change.
   * `connection: 'backup'` sends it through the tenant's backup connection instead.
   */
  async sendTestEmail(
    to: string,
    options?: { tenant?: string; connection?: 'main' | 'backup' },
  ): Promise<TestEmailResult> {
    const tenant = this.tenantOf(options);
    assertNoHeaderInjection({ to });
    return this.verifier.sendTestEmail(to, tenant, options?.connection);
  }

  /** The tenant's channel, last failure and last success; never throws for a valid tenant. */
  async status(tenant?: string): Promise<MailerStatus> {
    return this.transport.status(this.tenantOf({ tenant }));
  }

  /** The same methods, bound to one tenant. The id is checked now: an invalid one throws. */
  forTenant(tenant: string): TenantMailer {
    const id = assertTenantId(tenant, 'forTenant()');
    const options = { tenant: id };
    return {
      tenant: id,
      send: (message) => this.send(message, options),
      verify: (settings) => this.verify(settings, options),
      sendTestEmail: (to) => this.sendTestEmail(to, options),
      status: () => this.status(id),
    };
  }

  /** Every message sent or failed, of every tenant, also those sent through @nestjs-modules/mailer. */
  get events$(): Observable<MailEvent> {
    return this.transport.events$;
  }

  /**
   * `failover` and `failback` of direct sends, each with its tenant: the main connection could not
   * take a message and the backup connection took it, and later main took one again. The
   * `onAlert` option hears them too.
   */
  get alerts$(): Observable<OutboxAlert> {
    return this.transport.alerts$;
  }

  onApplicationShutdown(): void {
    this.transporter.close();
  }

  private tenantOf(options: { tenant?: string } | undefined): string {
    return assertTenantId(options?.tenant ?? this.transport.defaultTenant, 'the tenant option');
  }
}
