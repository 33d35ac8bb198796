import type { VerifyStage } from '../../interfaces/verify-result.interface';
import type { GraphAnswer } from './graph-client';

/** A Graph answer other than success, in the admin's words. */
export interface GraphFailure {
  /** Graph's error code (`ErrorAccessDenied`, ...), or `HTTP_<status>` when it gave none. */
  code: string;
  status: number;
  stage: VerifyStage;
  /** The settings field to fix, when one is to blame. */
  field?: string;
  message: string;
  /** 429 and 503: how long Graph asked to wait (`Retry-After`), else a backoff is chosen. */
  retryAfterMs?: number;
  /** 401: the token was refused; a new one may pass. */
  tokenRefused?: boolean;
  /** 500, 502, 504: Graph took the request and did not say what became of it. */
  uncertain?: boolean;
}

export interface GraphContext {
  mailbox: string;
  /** The Graph host's name, for messages. */
  host: string;
}

const ACCESS_FIX =
  'in the Azure portal, give the app registration the Microsoft Graph application permission Mail.Send and grant admin consent; ' +
  'if an application access policy or RBAC for Applications limits the app to some mailboxes, add this mailbox to its scope ' +
  '(check with Test-ApplicationAccessPolicy or Test-ServicePrincipalAuthorization)';

/** Turns a Graph error answer into the stage, the field to fix and what to do. */
export function explainGraphAnswer(
  answer: GraphAnswer,
  { mailbox, host }: GraphContext,
): GraphFailure {
  const { status } = answer;
  const { code: graphCode, message: graphMessage } = graphError(answer.body);
  const code = graphCode ?? `HTTP_${status}`;
  const said = graphMessage ? ` (${graphMessage})` : '';
  const fail = (stage: VerifyStage, message: string, field?: string): GraphFailure => ({
    code,
    status,
    stage,
    message: `${message}${said}`,
    ...(field ? { field } : {}),
  });

  if (status === 429 || status === 503) {
    return {
      ...fail(
        'message',
        status === 429
          ? `Microsoft Graph is throttling requests for ${mailbox}: sending resumes after the wait Graph asked for`
          : `Microsoft Graph is unavailable for the moment (503): sending resumes after a wait`,
      ),
      retryAfterMs: retryAfterMs(answer.headers['retry-after']),
    };
  }
  if (status === 401) {
    return {
      ...fail(
        'token',
        `Microsoft Graph refused the access token: check that microsoft.graphHost and microsoft.authorityHost are in the same cloud, and that the app registration is enabled`,
      ),
      tokenRefused: true,
    };
  }
  switch (graphCode) {
    case 'ErrorAccessDenied':
      if (/AccessPolicy|RAOP/i.test(graphMessage ?? '')) {
        return fail(
          'mailbox',
          `an application access policy (or RBAC for Applications) leaves ${mailbox} out of what app clientId may reach: add the mailbox to the policy's group or management scope, or remove the policy`,
          'username',
        );
      }
      return fail(
        'mailbox',
        `the app (clientId) may not send as ${mailbox}: ${ACCESS_FIX}`,
        'clientId',
      );
    case 'MailboxNotEnabledForRESTAPI':
    case 'MailboxNotSupportedForRESTAPI':
      return fail(
        'mailbox',
        `${mailbox} cannot send through Microsoft Graph: it is inactive, soft-deleted, unlicensed or hosted on-premises; use an Exchange Online mailbox with a license, or SMTP (provider microsoft)`,
        'username',
      );
    case 'ErrorInvalidUser':
    case 'ResourceNotFound':
    case 'Request_ResourceNotFound':
      return fail(
        'mailbox',
        `no mailbox ${mailbox} exists in the tenant: check username`,
        'username',
      );
    case 'ErrorSendAsDenied':
      return fail(
        'sender',
        `${mailbox} may not send as the message's From address: send from ${mailbox}, or give it Send As on that address (Add-RecipientPermission -Identity <address> -Trustee ${mailbox} -AccessRights SendAs)`,
        'senderEmail',
      );
    case 'ErrorMessageSizeExceeded':
      return fail(
        'message',
        `the message is larger than Exchange Online accepts for ${mailbox} (its MaxSendSize): send a smaller message, or raise the limit with Set-Mailbox -MaxSendSize`,
      );
    case 'ErrorInvalidRecipients':
      return fail('recipients', 'Exchange Online refused the recipients: check the addresses');
    case 'ErrorQuotaExceeded':
      return fail(
        'mailbox',
        `the mailbox ${mailbox} is full: Exchange Online cannot save the message`,
        'username',
      );
  }
  if (status === 404) {
    return fail(
      'mailbox',
      `no mailbox ${mailbox} was found at ${host}: check username`,
      'username',
    );
  }
  if (status === 403) {
    return fail(
      'mailbox',
      `the app (clientId) may not send as ${mailbox}: ${ACCESS_FIX}`,
      'clientId',
    );
  }
  if (status === 413) {
    return fail(
      'message',
      `the message is larger than Microsoft Graph accepts in one request (4 MB)`,
    );
  }
  if (status === 500 || status === 502 || status === 504) {
    return {
      ...fail('message', `Microsoft Graph failed (${status}) after it took the message`),
      uncertain: true,
    };
  }
  return fail('message', `Microsoft Graph refused the message (${status})`);
}

/** Graph's `{ error: { code, message } }`; anything else yields nothing. */
function graphError(body: string): { code?: string; message?: string } {
  try {
    const error = (JSON.parse(body) as { error?: { code?: unknown; message?: unknown } }).error;
    const code = typeof error?.code === 'string' ? error.code.slice(0, 100) : undefined;
    const message =
      typeof error?.message === 'string' ? error.message.split('\n')[0]!.slice(0, 300) : undefined;
    return { code, message };
  } catch {
    return {};
  }
}

/** `Retry-After` in seconds or as an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
