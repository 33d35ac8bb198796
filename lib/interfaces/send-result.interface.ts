/** The result of a send: nodemailer's, plus the channel it took and under which settings version. */
export interface SendResult {
  messageId: string;
  accepted: string[];
  rejected: string[];
  envelope: { from: string | false; to: string[] };
  response?: string;
  /** The channel the message took: the relay from the module options, or the admin's own server. */
  route: 'relay' | 'custom';
  /**
   * The version of the settings that sent it: the main settings', or the backup connection's own
   * version when `connection` is `backup`.
   */
  settingsVersion: number;
  /**
   * Which of the tenant's connections sent it: `backup` after a failover (the main connection
   * could not take it). Set by every direct send.
   */
  connection?: 'main' | 'backup';
  /** Only for a message the relay's `split` policy sent in several envelopes. */
  batches?: Array<{
    recipients: string[];
    accepted: string[];
    rejected: string[];
    response?: string;
  }>;
}

/** The channel a message takes: the relay from the module options, or the admin's own server. */
export type ChannelKind = SendResult['route'];
