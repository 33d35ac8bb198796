import type { BasicSmtpSettings, BearerSmtpSettings } from '../../interfaces/smtp-settings.types';
import { isTransient } from '../../transport/retry-policy';
import { explainSmtpFailure } from '../../diagnosis/explain-smtp-failure';
import type { ExplainTarget } from '../../diagnosis/explain-target.interface';
import { MAIL_PROVIDERS } from '../mail-providers';

/** Every provider's replies, as the transport gives them to a target. */
const replies = MAIL_PROVIDERS.flatMap((provider) => provider.replies ?? []);
const MAILBOX = 'notifications@contoso.com';
const CLIENT_ID = '0b1e2f3a-1111-4222-8333-444455556666';

const BEARER: BearerSmtpSettings = {
  type: 'bearer',
  provider: 'microsoft',
  hostname: 'smtp.office365.com',
  port: 587,
  useTls: true,
  username: MAILBOX,
  senderEmail: MAILBOX,
  clientId: CLIENT_ID,
  clientSecret: 'not used here',
  tenantId: '9a8b7c6d-aaaa-4bbb-8ccc-ddddeeeeffff',
};
const BASIC: BasicSmtpSettings = {
  type: 'basic',
  hostname: 'smtp.office365.com',
  port: 587,
  useTls: true,
  username: MAILBOX,
  password: 'not used here',
  senderEmail: 'noreply@contoso.com',
};

/** A failure shaped as nodemailer reports it: the reply, and the command it answered. */
function failure(command: string, response: string) {
  return {
    code: command.startsWith('AUTH') ? 'EAUTH' : command === 'CONN' ? 'EPROTOCOL' : 'EENVELOPE',
    command,
    response,
    responseCode: Number(response.slice(0, 3)),
    message: `failed: ${response}`,
  };
}

describe("Microsoft 365's SMTP replies name the fix", () => {
  it.each<[string, ExplainTarget, string, string, string, string[]]>([
    [
      'SMTP AUTH disabled, Bearer',
      BEARER,
      'AUTH XOAUTH2',
      '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.',
      'auth',
      [
        'SMTP AUTH is disabled for the tenant or the mailbox',
        `Set-CASMailbox -Identity ${MAILBOX} -SmtpClientAuthenticationDisabled $false`,
        'Set-TransportConfig -SmtpClientAuthenticationDisabled $false',
      ],
    ],
    [
      'Basic authentication off for the tenant',
      BASIC,
      'AUTH LOGIN',
      '535 5.7.139 Authentication unsuccessful, basic authentication is disabled.',
      'auth',
      [
        'Microsoft 365 no longer accepts Basic authentication (a password) for client submission',
        'switch this connection to Bearer (OAuth 2.0, with the upgrade "Security Enhancement - oAuth Enablement for SMTP services") or to Microsoft 365 through Microsoft Graph',
      ],
    ],
    [
      "Exchange's retirement of Basic authentication for client submission",
      { ...BASIC, hostname: 'smtp-legacy.office365.com' },
      'AUTH LOGIN',
      '550 5.7.30 Basic authentication is not supported for Client Submission.',
      'auth',
      [
        'Microsoft 365 no longer accepts Basic authentication (a password) for client submission (550 5.7.30 Basic authentication is not supported for Client Submission.)',
        'switch this connection to Bearer',
        'through Microsoft Graph',
      ],
    ],
    [
      'SMTP AUTH disabled for the mailbox, Basic',
      BASIC,
      'AUTH LOGIN',
      '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox.',
      'auth',
      [`Set-CASMailbox -Identity ${MAILBOX}`, 'switch to Bearer (OAuth 2.0)'],
    ],
    [
      'a sign-in blocked by Conditional Access',
      BASIC,
      'AUTH LOGIN',
      '535 5.7.139 Authentication unsuccessful, the request did not meet the criteria to be authenticated successfully. Contact your administrator.',
      'auth',
      ['Conditional Access', 'switch to Bearer'],
    ],
    [
      'a token of an app that is not set up in Exchange',
      BEARER,
      'AUTH XOAUTH2',
      '535 5.7.3 Authentication unsuccessful [AM0PR06CA0126.eurprd06.prod.outlook.com]',
      'auth',
      [
        'SMTP.SendAsApp with admin consent',
        `New-ServicePrincipal -AppId ${CLIENT_ID} -ObjectId <enterprise app object id>`,
        `Add-MailboxPermission -Identity ${MAILBOX} -User <service principal id> -AccessRights FullAccess`,
      ],
    ],
    [
      'a wrong password',
      BASIC,
      'AUTH LOGIN',
      '535 5.7.3 Authentication unsuccessful',
      'auth',
      ['check username and password', 'multi-factor authentication'],
    ],
    [
      'a sender the mailbox may not send as',
      BASIC,
      'MAIL FROM',
      '550 5.7.60 SMTP; Client does not have permissions to send as this sender',
      'sender',
      [
        'Microsoft 365 refused to send as noreply@contoso.com',
        `Add-RecipientPermission -Identity noreply@contoso.com -Trustee ${MAILBOX} -AccessRights SendAs`,
      ],
    ],
    [
      'SendAs denied at submission',
      BASIC,
      'DATA',
      '554 5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; Failed to process message due to a permanent exception with message Cannot submit message.',
      'sender',
      ['-AccessRights SendAs'],
    ],
    [
      'a token accepted for a mailbox the app cannot open',
      BEARER,
      'DATA',
      '430 4.2.0 STOREDRV; mailbox logon failure; STOREDRV.Submission.Exception:ConnectionFailedTransientException.MapiExceptionLogonFailed; Failed to process message due to a transient exception with message Cannot open mailbox.',
      'auth',
      [
        "the app's service principal is missing in Exchange or has no access to the mailbox",
        `New-ServicePrincipal -AppId ${CLIENT_ID}`,
        `Add-MailboxPermission -Identity ${MAILBOX}`,
      ],
    ],
    [
      'a mailbox restricted for spam',
      BASIC,
      'DATA',
      '554 5.2.0 STOREDRV.Submission.Exception:OutboundSpamException; Failed to process message due to a permanent exception with message WASCL UserAction verdict is not None.',
      'sender',
      ['Restricted entities'],
    ],
    [
      'too many connections at submission',
      BEARER,
      'DATA',
      '432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded',
      'message',
      ['at most 3 connections', 'pool.maxConnections'],
    ],
    [
      'too many connections at the greeting',
      BEARER,
      'CONN',
      '421 4.3.2 The maximum number of concurrent server connections has exceeded a limit, closing transmission channel',
      'connect',
      ['at most 3 connections'],
    ],
    [
      'server busy',
      BEARER,
      'MAIL FROM',
      '451 4.7.500 Server busy. Please try again later from [203.0.113.9]. (AS843)',
      'sender',
      ['throttling', 'sending retries after a pause'],
    ],
    [
      'a temporary server error',
      BASIC,
      'DATA',
      '451 4.7.0 Temporary server error. Please try again later. PRX5',
      'message',
      ['throttling'],
    ],
    [
      'unregistered domains',
      BASIC,
      'RCPT TO',
      '550 5.7.750 Service unavailable. Client blocked from sending from unregistered domains.',
      'recipients',
      ['add and verify', 'Microsoft 365 admin center', 'Microsoft support'],
    ],
    [
      'a tenant blocked from sending',
      BEARER,
      'DATA',
      '550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP.',
      'message',
      ['blocks this tenant from sending', 'Microsoft support'],
    ],
  ])('explains %s', (_name, target, command, response, stage, words) => {
    const explained = explainSmtpFailure(failure(command, response), { ...target, replies });
    expect(explained).toMatchObject({ stage, code: response.slice(0, 3) });
    for (const word of words) expect(explained.message).toContain(word);
  });

  it('keeps the Microsoft checklist for Microsoft tokens', () => {
    const google = { ...BEARER, provider: 'google', replies } as unknown as ExplainTarget;
    const explained = explainSmtpFailure(
      failure('AUTH XOAUTH2', '535 5.7.3 Authentication unsuccessful'),
      google,
    );
    expect(explained.message).not.toMatch(/SendAsApp|Microsoft/);
  });

  it('retries too many connections and throttling, not the ones that need an admin', () => {
    expect(isTransient({ responseCode: 432 })).toBe(true);
    expect(isTransient({ responseCode: 451 })).toBe(true);
    expect(isTransient({ responseCode: 550 })).toBe(false);
  });
});
