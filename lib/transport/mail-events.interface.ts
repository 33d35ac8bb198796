import type { RouteKind } from './smtp-route';

/** What the live transport reports about each message, for applications that log or alert. */
export type MailEvent =
  | {
      type: 'sent';
      messageId: string;
      route: RouteKind;
      settingsVersion: number;
      accepted: string[];
      rejected: string[];
      attempts: number;
    }
  | {
      type: 'failed';
      messageId?: string;
      route?: RouteKind;
      settingsVersion?: number;
      code: string;
      message: string;
      attempts: number;
    };

/** The route the next message takes, and what went wrong last. */
export interface MailerStatus {
  route: RouteKind | 'none';
  settingsVersion: number;
  lastError: { code: string; message: string; at: string } | null;
}
