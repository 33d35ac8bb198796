import type { SentMessageInfo } from 'nodemailer';
import type { ChannelKind, SendResult } from '../interfaces/send-result.interface';

/** nodemailer's result, with the channel it went through and that channel's settings version. */
export function toSendResult(
  info: SentMessageInfo,
  channel: { kind: ChannelKind; version: number },
): SendResult {
  return {
    messageId: info.messageId,
    accepted: info.accepted ?? [],
    rejected: info.rejected ?? [],
    envelope: info.envelope,
    response: info.response,
    route: channel.kind,
    settingsVersion: channel.version,
  };
}
