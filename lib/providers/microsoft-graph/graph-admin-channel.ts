import type { SMTPTransportOptions } from 'nodemailer';
import { DeliveryUncertainError } from '../../errors/delivery-uncertain.error';
import { TokenRequestFailedError } from '../../errors/token-request-failed.error';
import type { MicrosoftGraphSettings } from '../../interfaces/smtp-settings.types';
import type { VerifyResult } from '../../interfaces/verify-result.interface';
import type { TokenSource } from '../oauth/access-token';
import { formatSender } from '../../transport/sender';
import type { AdminChannel } from '../../transport/verify/admin-channel';
import type { GraphChannels } from './graph-channels';
import { GraphSendError } from '../../errors/graph-send.error';

type Check = Omit<VerifyResult, 'durationMs' | 'route'>;

/**
 * The channel verify and test-email use for Microsoft Graph settings: one-off tokens, a client of
 * its own per action, and the mailbox's gate, so that an admin sees a fix at once.
 */
export function graphAdminChannel(
  graph: GraphChannels,
  tenant: string,
  version: number,
  settings: MicrosoftGraphSettings,
  tokens: TokenSource,
  timeoutMs: number,
): AdminChannel {
  const open = () => graph.adminTransport(tenant, settings, tokens, timeoutMs);
  return {
    kind: 'custom',
    version,
    target: graph.target(settings),
    options: {} as SMTPTransportOptions,
    deadlineMs: timeoutMs * 3,
    from: formatSender(settings),
    replyTo: settings.replyTo,
    tokens,
    transport: open,
    checkMailbox: async (): Promise<Check> => {
      const transport = open();
      try {
        const failure = await transport.probe();
        if (!failure) {
          return {
            ok: true,
            stage: 'mailbox',
            code: null,
            message: `the app ${settings.clientId} may send as ${settings.username} through Microsoft Graph at ${graph.host} (checked without sending anything)`,
          };
        }
        const { code, message, field } = failure;
        const stage = failure.stage === 'message' ? 'mailbox' : failure.stage;
        return { ok: false, stage, code, message, ...(field ? { field } : {}) };
      } catch (error) {
        return { ok: false, ...explained(error) };
      } finally {
        transport.close();
      }
    },
  };
}

function explained(error: unknown): Omit<Check, 'ok'> {
  if (error instanceof GraphSendError) {
    const { stage, code, message, field } = error;
    return { stage, code, message, ...(field ? { field } : {}) };
  }
  if (error instanceof TokenRequestFailedError) {
    const { code, message, field } = error;
    return { stage: 'token', code, message, ...(field ? { field } : {}) };
  }
  if (error instanceof DeliveryUncertainError) {
    const message = 'Microsoft Graph took the check but did not answer it: try again';
    return { stage: 'mailbox', code: error.code, message };
  }
  throw error;
}
