import type { ChannelKind } from '../transport/smtp-channel';

/** What the live transport reports about each message, for applications that log or alert. */
export type MailEvent =
  | {
      type: 'sent';
      messageId: string;
      route: ChannelKind;
      settingsVersion: number;
      accepted: string[];
      rejected: string[];
      attempts: number;
    }
  | {
      type: 'failed';
      messageId?: string;
      route?: ChannelKind;
      settingsVersion?: number;
      code: string;
      message: string;
      attempts: number;
    };

/** The route the next message takes, what went wrong last, and when mail last went out. */
export interface MailerStatus {
  route: ChannelKind | 'none';
  settingsVersion: number;
  /** The last failed send: its code and the explained message, as the send threw it. */
  lastError: { code: string; message: string; at: string } | null;
  /** When a message last went out, as an ISO date. */
  lastSuccessAt: string | null;
}
