/** What the live transport reports about each message, for applications that log or alert. */
export type MailEvent =
  | {
      type: 'sent';
      /** The tenant the message was sent for. */
      tenant: string;
      messageId: string;
      /** The channel the message took. */
      route: 'relay' | 'custom';
      settingsVersion: number;
      /** Which of the tenant's connections sent it: `backup` after a failover. */
      connection?: 'main' | 'backup';
      accepted: string[];
      rejected: string[];
      attempts: number;
    }
  | {
      type: 'failed';
      /** The tenant the message was sent for. */
      tenant: string;
      messageId?: string;
      /** The channel the message tried; absent when there was none. */
      route?: 'relay' | 'custom';
      settingsVersion?: number;
      code: string;
      message: string;
      attempts: number;
    };

/**
 * For one tenant: the channel its next message takes, what went wrong last, and when its mail last
 * went out.
 */
export interface MailerStatus {
  /** The channel the next message takes; `none` when neither settings nor a relay exist. */
  route: 'relay' | 'custom' | 'none';
  settingsVersion: number;
  /** The last failed send: its code and the explained message, as the send threw it. */
  lastError: { code: string; message: string; at: string } | null;
  /** When a message last went out, as an ISO date. */
  lastSuccessAt: string | null;
  /**
   * The connection new messages take: `backup` while the main connection is failed over (its
   * circuit open); `main` otherwise.
   */
  connection?: 'main' | 'backup';
  /** Why the backup is in use, since when, and when main is tried again; `null` on main. */
  failover?: FailoverState | null;
}

/** A tenant's failover: why the main connection was left, since when, when it is tried again. */
export interface FailoverState {
  reason: string;
  since: string;
  retryMainAt: string;
}
