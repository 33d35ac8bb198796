import type { SentMessageInfo } from 'nodemailer';
import type { SmtpChannel } from './smtp-channel';

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

export function toSentInfo(info: SentMessageInfo, route: SmtpChannel): LiveSentMessageInfo {
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
