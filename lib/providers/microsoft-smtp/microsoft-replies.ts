import type { BearerSmtpSettings } from '../../interfaces/smtp-settings.types';
import type { ExplainTarget } from '../../diagnosis/explain-target.interface';
import { quoteReply } from '../../diagnosis/smtp-reply';
import { SMTP_OAUTH_UPGRADE } from '../../upgrades/upgrades.constants';
import type {
  ReplyContext,
  ReplyExplanation,
} from '../../diagnosis/replies/reply-explanation.interface';

/**
 * Microsoft 365's replies, each with the Exchange or Entra ID setting that fixes it. They are told
 * apart by Microsoft's own enhanced codes (5.7.139, 5.7.60, 4.7.500...) and STOREDRV texts, so they
 * apply whatever hostname the settings name; only the Bearer checklist asks for a Microsoft token.
 */
export const MICROSOFT_REPLIES: readonly ReplyExplanation[] = [
  // Sign-in
  { codes: [535, 550], enhanced: ['5.7.30'], stage: 'auth', explain: basicRetired },
  {
    codes: [535, 550],
    enhanced: ['5.7.139'],
    text: /security defaults|did not meet the criteria|conditional access/i,
    stage: 'auth',
    explain: ({ target, reply }) =>
      `Microsoft 365 blocked the sign-in by policy (${quoteReply(reply)}): Security defaults or a Conditional Access policy in Entra ID stops ${target.type === 'bearer' ? 'this app' : 'this account'} from using SMTP AUTH: ask your Entra ID administrator to exclude it${target.type === 'bearer' ? '' : ', or switch to Bearer (OAuth 2.0)'}`,
  },
  {
    codes: [535, 550],
    enhanced: ['5.7.139'],
    stage: 'auth',
    explain: smtpAuthDisabled,
  },
  {
    codes: [535],
    enhanced: ['5.7.3'],
    stage: 'auth',
    when: ({ target }) => target.type !== 'bearer' || isMicrosoftBearer(target),
    explain: (context) =>
      isMicrosoftBearer(context.target)
        ? tokenRefused(context)
        : `the server refused the sign-in (${quoteReply(context.reply)}): check username and password; a Microsoft 365 account with multi-factor authentication cannot sign in with its password: use Bearer (OAuth 2.0)`,
  },
  {
    // A refused token, however Exchange words it: the app's registration is incomplete.
    codes: [535],
    stage: 'auth',
    when: ({ target }) => isMicrosoftBearer(target),
    explain: tokenRefused,
  },

  // The sender
  { codes: [550, 554], enhanced: ['5.7.60'], stage: 'sender', explain: sendAsDenied },
  { codes: [550, 554], text: /SendAsDenied/i, stage: 'sender', explain: sendAsDenied },
  {
    codes: [550, 554],
    text: /OutboundSpamException|restricted from sending|RestrictedSender/i,
    stage: 'sender',
    explain: ({ target, reply }) =>
      `Microsoft 365 has blocked ${mailboxOf(target)} from sending (${quoteReply(reply)}): it was taken for a source of spam; check the account, then release it in the Microsoft Defender portal (Email & collaboration, Review, Restricted entities)`,
  },
  {
    codes: [550, 554],
    text: /SubmissionQuotaExceeded|sending limit/i,
    stage: 'sender',
    explain: ({ target, reply }) =>
      `${mailboxOf(target)} reached its Exchange Online sending limit (${quoteReply(reply)}): it may send again within 24 hours; send fewer recipients a day, or from more than one mailbox`,
  },
  // Too many connections, throttling: transient, so sends retry them
  {
    codes: [421, 432, 451, 452],
    enhanced: ['4.3.2'],
    text: /concurrent|thread limit|connections/i,
    explain: ({ reply }) =>
      `Microsoft 365 allows few connections at once per mailbox (${quoteReply(reply)}): sending retries after a pause; pools to Microsoft 365 open at most 3 connections: if other applications send as this mailbox too, lower pool.maxConnections`,
  },
  {
    codes: [450, 451, 452],
    enhanced: ['4.7.0', ...enhancedRange('4.7.', 500, 699)],
    explain: ({ reply }) =>
      `the server is throttling this client (${quoteReply(reply)}): wait and try again; sending retries after a pause, and an outbox later still; if it keeps happening, send fewer messages at once (Exchange Online accepts 30 a minute per mailbox)`,
  },

  // The mailbox, once the sign-in passed: a missing permission shows only at submission
  {
    // The token was accepted, but Exchange cannot open the mailbox for the app.
    codes: [430, 450, 451, 550, 554],
    text: /STOREDRV\.Submission|mailbox logon failure/i,
    stage: 'auth',
    explain: mailboxNotOpened,
  },

  // The tenant
  {
    codes: [550, 554],
    enhanced: ['5.7.750'],
    explain: ({ reply }) =>
      `Microsoft 365 blocks this tenant from sending from unregistered domains (${quoteReply(reply)}): add and verify the sender's domain in the Microsoft 365 admin center (Settings, Domains), then contact Microsoft support to be unblocked`,
  },
  {
    codes: [550, 554],
    enhanced: ['5.7.705', '5.7.708'],
    explain: ({ reply }) =>
      `Microsoft 365 blocks this tenant from sending (${quoteReply(reply)}): make sure that every domain you send from is added and verified in the Microsoft 365 admin center (Settings, Domains), then contact Microsoft support to be unblocked`,
  },
];

/** What the settings say about the Microsoft 365 mailbox and app, when the target is settings. */
type MicrosoftTarget = ExplainTarget &
  Partial<Pick<BearerSmtpSettings, 'username' | 'clientId'>> & { provider?: string };

function isMicrosoftBearer(target: ExplainTarget): boolean {
  return (
    target.type === 'bearer' &&
    ((target as MicrosoftTarget).provider ?? 'microsoft') === 'microsoft'
  );
}

function mailboxOf(target: ExplainTarget): string {
  return (target as MicrosoftTarget).username ?? target.senderEmail ?? 'the mailbox';
}

/** The identity to name in a cmdlet: the mailbox itself, or a placeholder the admin fills in. */
function identityOf(target: ExplainTarget): string {
  return (target as MicrosoftTarget).username ?? '<mailbox>';
}

function smtpAuthDisabled(context: ReplyContext): string {
  const { target, reply } = context;
  const quoted = quoteReply(reply);
  const enable = `enable it for the mailbox with Set-CASMailbox -Identity ${identityOf(target)} -SmtpClientAuthenticationDisabled $false, or for the whole tenant with Set-TransportConfig -SmtpClientAuthenticationDisabled $false (Exchange Online PowerShell)`;
  if (target.type === 'bearer') {
    return `SMTP AUTH is disabled for the tenant or the mailbox (${quoted}): ${enable}`;
  }
  if (/basic auth/i.test(reply.text)) return basicRetired(context);
  return `Microsoft 365 refused the password (${quoted}): SMTP AUTH is disabled for the tenant or the mailbox: ${enable}; Microsoft is turning Basic authentication off, so switch to Bearer (OAuth 2.0)`;
}

/** Exchange Online no longer takes a password for client submission (5.7.30, or 5.7.139 saying so). */
function basicRetired({ reply }: ReplyContext): string {
  return `Microsoft 365 no longer accepts Basic authentication (a password) for client submission (${quoteReply(reply)}): switch this connection to Bearer (OAuth 2.0, with the upgrade "${SMTP_OAUTH_UPGRADE.name}") or to Microsoft 365 through Microsoft Graph`;
}

function tokenRefused({ target, reply }: ReplyContext): string {
  const clientId = (target as MicrosoftTarget).clientId ?? '<clientId>';
  return `Microsoft 365 refused the token (${quoteReply(reply)}): in Entra ID, grant the app the Office 365 Exchange Online application permission SMTP.SendAsApp with admin consent; in Exchange Online PowerShell, register its service principal (New-ServicePrincipal -AppId ${clientId} -ObjectId <enterprise app object id>) and give it the mailbox (Add-MailboxPermission -Identity ${identityOf(target)} -User <service principal id> -AccessRights FullAccess)`;
}

function sendAsDenied({ target, reply }: ReplyContext): string {
  const sender = target.senderEmail ?? 'the sender';
  const mailbox = identityOf(target);
  return `Microsoft 365 refused to send as ${sender} (${quoteReply(reply)}): senderEmail must be the mailbox in username (${mailbox}), or an address that mailbox has Send As rights on: Add-RecipientPermission -Identity ${sender} -Trustee ${mailbox} -AccessRights SendAs`;
}

function mailboxNotOpened(context: ReplyContext): string {
  const { target, reply } = context;
  if (target.type !== 'bearer') {
    return `Exchange accepted the sign-in but could not submit the message from ${mailboxOf(target)} (${quoteReply(reply)}): check that the mailbox exists and has an Exchange Online licence`;
  }
  const clientId = (target as MicrosoftTarget).clientId ?? '<clientId>';
  return `Exchange accepted the token but could not open the mailbox ${mailboxOf(target)} for the app (${quoteReply(reply)}): the app's service principal is missing in Exchange or has no access to the mailbox: New-ServicePrincipal -AppId ${clientId} -ObjectId <enterprise app object id>, then Add-MailboxPermission -Identity ${identityOf(target)} -User <service principal id> -AccessRights FullAccess`;
}

function enhancedRange(prefix: string, first: number, last: number): string[] {
  return Array.from({ length: last - first + 1 }, (_, i) => `${prefix}${first + i}`);
}
