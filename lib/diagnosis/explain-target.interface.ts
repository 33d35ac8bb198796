import type { CommonSmtpSettings, SmtpSettings } from '../interfaces/smtp-settings.types';
import type { ReplyExplanation } from './replies/reply-explanation.interface';

/** The server a failure happened at, as the admin configured it (or the relay). */
export type ExplainTarget = Pick<CommonSmtpSettings, 'hostname' | 'port' | 'useTls' | 'tlsMode'> & {
  /** Custom settings' kind; absent for the relay. */
  type?: SmtpSettings['type'];
  /** Bearer settings' provider (`microsoft`, `google`). */
  provider?: string;
  /** Whether the channel signs in; defaults to true for custom settings, false for the relay. */
  credentials?: boolean;
  /** The host is a provider's own SMTP host (`knownHosts`): right by definition, never the advice. */
  providerHost?: boolean;
  /**
   * The providers' own replies (their descriptors'), the target's provider's first: checked before
   * the general tables, whatever the host, since a provider's codes and texts are its own.
   */
  replies?: readonly ReplyExplanation[];
  /** The configured sender, named when the server refuses it. */
  senderEmail?: string;
};

export function hasCredentials(target: ExplainTarget): boolean {
  return target.credentials ?? target.type !== undefined;
}
