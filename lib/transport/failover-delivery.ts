import type { LoggerService } from '@nestjs/common';
import type { MailMessage } from 'nodemailer';
import { BackupMissingError } from '../errors/backup-missing.error';
import { DeliveryFailedError } from '../errors/delivery-failed.error';
import { DeliveryUncertainError } from '../errors/delivery-uncertain.error';
import type { OutboxAlert } from '../interfaces/outbox.interface';
import type { SendResult } from '../interfaces/send-result.interface';
import type { SmtpConnectionName } from '../interfaces/smtp-connection.interface';
import type { ChannelRegistry, TenantRoute } from './channel-registry';
import type { DeliveryRun } from './delivery-attempts';
import type { FailoverCircuits } from './failover-circuits';
import { failoverReasonOf, failsOver } from './failover-rules';

/** What a failover needs of the live transport. */
export interface FailoverParts {
  main: ChannelRegistry;
  /** The tenants' backup connections; a tenant without one throws `BackupMissingError`. */
  backup: ChannelRegistry;
  circuits: FailoverCircuits;
  /** A boolean when it is known at once (the settings were read already), so no await. */
  hasBackup(tenant: string): boolean | Promise<boolean>;
  /**
   * Bearer settings without the upgrade fail closed, on either connection; `undefined` when the
   * channel needs no upgrade (Basic), so that its messages wait for no check.
   */
  assertAllowed(route: TenantRoute, tenant: string): Promise<void> | undefined;
  alert(alert: OutboxAlert): void;
  logger: Pick<LoggerService, 'warn' | 'log'>;
}

/** Hears which channel (and of which connection) a message is on, for its events and result. */
export type RouteTracker = (route: TenantRoute, connection: SmtpConnectionName) => void;

/**
 * A direct send through the tenant's main connection, or its backup: main first while the tenant's
 * circuit is closed; when main cannot take the message (`failsOver`) and a backup is saved, the
 * same message (the same Message-ID) goes through the backup at once, without main's retries, and
 * the circuit opens (`failover` alert). While it is open, messages go straight to the backup, and
 * at most once a minute one tries main again; when main takes it, the circuit closes (`failback`).
 * The relay is never a failover target, nor is a message that main's relay channel failed.
 */
export class FailoverDelivery {
  constructor(private readonly parts: FailoverParts) {}

  async send(
    tenant: string,
    mail: MailMessage,
    run: DeliveryRun,
    track: RouteTracker,
  ): Promise<SendResult> {
    const { circuits } = this.parts;
    const decision = circuits.decide(tenant);
    if (decision === 'backup') {
      try {
        return await this.through('backup', tenant, mail, run, track);
      } catch (error) {
        if (!(error instanceof BackupMissingError)) throw error;
        // The backup was removed: main again, as for a tenant that never had one.
        circuits.close(tenant);
      }
    }
    const before = sender(mail);
    const known = this.parts.hasBackup(tenant);
    const hasBackup = typeof known === 'boolean' ? known : await known;
    let onMain: TenantRoute | undefined;
    const mainRun: DeliveryRun = hasBackup ? Object.assign(run, { stopRetrying: failsOver }) : run;
    try {
      const info = await this.through('main', tenant, mail, mainRun, (route, which) => {
        onMain = route;
        // The relay's transient failures are retried as ever: it fails over to nothing.
        if (route.channel.kind !== 'custom') delete run.stopRetrying;
        track(route, which);
      });
      this.mainAnswered(tenant);
      return info;
    } catch (error) {
      delete run.stopRetrying;
      const eligible = hasBackup && onMain?.channel.kind === 'custom' && failsOver(error);
      if (!eligible) {
        // A probe that main answered (a refused recipient, say) shows main is back.
        if (decision === 'probe' && answeredBy(error)) this.mainAnswered(tenant);
        else if (decision === 'probe') circuits.probeDone(tenant);
        throw error;
      }
      return await this.failOver(tenant, mail, run, track, { error, before, decision });
    }
  }

  private async failOver(
    tenant: string,
    mail: MailMessage,
    run: DeliveryRun,
    track: RouteTracker,
    from: { error: unknown; before: Sender; decision: 'main' | 'probe' | 'backup' },
  ): Promise<SendResult> {
    const { circuits } = this.parts;
    forAnotherConnection(mail, from.before);
    let info: SendResult;
    try {
      info = await this.through('backup', tenant, mail, run, track);
    } catch (backupError) {
      if (from.decision === 'probe') circuits.probeDone(tenant);
      // Removed in the meantime: the message failed on main, and that is its error.
      throw backupError instanceof BackupMissingError ? from.error : backupError;
    }
    const reason = failoverReasonOf(from.error);
    if (circuits.opened(tenant, reason)) {
      this.parts.logger.warn(`Tenant ${tenant} fails over to its backup connection: ${reason}`);
      this.parts.alert({ type: 'failover', tenant, reason, at: new Date().toISOString() });
    }
    return info;
  }

  /** Main took a message, or answered it: a tenant that had failed over is back on main. */
  private mainAnswered(tenant: string): void {
    if (!this.parts.circuits.close(tenant)) return;
    this.parts.logger.log(`The main connection of tenant ${tenant} takes mail again`);
    this.parts.alert({ type: 'failback', tenant, at: new Date().toISOString() });
  }

  private through(
    connection: SmtpConnectionName,
    tenant: string,
    mail: MailMessage,
    run: DeliveryRun,
    track: RouteTracker,
  ): Promise<SendResult> {
    const registry = connection === 'backup' ? this.parts.backup : this.parts.main;
    return registry.hold(tenant, (route) => {
      track(route, connection);
      const allowed = this.parts.assertAllowed(route, tenant);
      // Only Bearer channels wait for a check; the rest go on with no promise of their own.
      if (allowed) return allowed.then(() => route.channel.deliver(mail, run));
      return route.channel.deliver(mail, run);
    });
  }
}

/** A failure in which the server spoke past the sign-in: a refused recipient, sender or content. */
function answeredBy(error: unknown): boolean {
  if (failsOver(error)) return false;
  return error instanceof DeliveryFailedError || error instanceof DeliveryUncertainError;
}

/** The sender fields as the caller gave them, before a channel filled in its defaults. */
interface Sender {
  from: MailMessage['data']['from'];
  replyTo: MailMessage['data']['replyTo'];
}

function sender(mail: MailMessage): Sender {
  return { from: mail.data.from, replyTo: mail.data.replyTo };
}

/**
 * The same message for the backup: the Message-ID it already has is kept (so the backup's sender
 * default names no new one), and the sender fields that main's defaults filled in are given back
 * to the backup's defaults.
 */
function forAnotherConnection(mail: MailMessage, before: Sender): void {
  mail.data.messageId = mail.message.messageId();
  if (before.from === undefined) delete mail.data.from;
  if (before.replyTo === undefined) delete mail.data.replyTo;
}
