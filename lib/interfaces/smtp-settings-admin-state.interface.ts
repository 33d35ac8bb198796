import type { FailoverState } from './mail-events.interface';
import type { SmtpBackupState, SmtpConnectionName } from './smtp-connection.interface';
import type { SmtpSettingsState } from './smtp-settings.types';

/** Why the current route cannot send mail. */
export type DeliveryViewReason = 'upgrade-removed' | 'secret-unavailable' | 'no-route';

/** Whether mail can go out right now, and how the last attempts went: what the admin page shows. */
export interface DeliveryView {
  /** Whether the current route can send now, as far as configuration decides. */
  canSend: boolean;
  /** Why it cannot; `null` when it can. */
  reason: DeliveryViewReason | null;
  /** Why mail cannot go out and what to do, in the admin's words; `null` when it can. */
  message: string | null;
  /** The last message that failed, whatever sent it; the message says why. */
  lastFailure: { code: string; message: string; at: string } | null;
  /** When a message last went out (ISO 8601), whatever sent it. */
  lastSuccessAt: string | null;
  /**
   * The connection direct sends take now: `backup` after a failover, until the main connection
   * takes a message again (tried at most once a minute); `main` otherwise.
   */
  connection: SmtpConnectionName;
  /** Why the backup is in use, since when, and when main is tried again; `null` on main. */
  failover: FailoverState | null;
}

/**
 * `GET /smtp-settings` and the answer of `PUT`: the tenant administered, its settings, and whether
 * its mail can go out.
 */
export type SmtpSettingsAdminState = SmtpSettingsState & {
  tenant: string;
  /** The backup connection without its secret (`GET <path>/backup`); `null` when none is saved. */
  backup: SmtpBackupState | null;
  delivery: DeliveryView;
};
