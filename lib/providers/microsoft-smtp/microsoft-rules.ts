import type { FieldProblem } from '../../interfaces/field-problem.interface';
import type { ProviderRuleFields } from '../../settings/provider-settings.interface';
import { isHost } from '../../settings/validation/smtp-settings.rules';

/**
 * The SMTP AUTH endpoints of Microsoft 365: worldwide (and its client-submission host for Basic
 * authentication, smtp-legacy), US government, Outlook.com, 21Vianet.
 */
export const MICROSOFT_SMTP_HOSTS: readonly string[] = [
  'smtp.office365.com',
  'smtp-legacy.office365.com',
  'smtp.office365.us',
  'smtp-mail.outlook.com',
  'smtp.partner.outlook.cn',
];

/**
 * Basic settings that sign in at Microsoft 365 stop working once Microsoft turns Basic off. What
 * Microsoft has announced, and no date of our own: the final removal date is still to come.
 */
export const BASIC_ON_MICROSOFT_WARNING =
  'Microsoft is retiring Basic authentication for SMTP AUTH: it is off by default for existing tenants from the end of December 2026 (a tenant administrator can turn it back on for now), and Microsoft will announce the date of its final removal in 2027. Use Bearer (OAuth 2.0)';

/** Microsoft 365 sends as the mailbox that signs in, over SMTP and Graph alike. */
export function sameMailboxProblems(settings: ProviderRuleFields): FieldProblem[] {
  if (lower(settings.senderEmail) === lower(settings.username)) return [];
  return [
    {
      field: 'senderEmail',
      message:
        'senderEmail must be the same as username (the Microsoft 365 mailbox) for Bearer authentication',
    },
  ];
}

/** A token sent to a server that is not Microsoft's. */
export function microsoftHostWarnings(settings: { hostname: string }): string[] {
  if (isHost(settings.hostname, MICROSOFT_SMTP_HOSTS)) return [];
  return [
    `${settings.hostname} is not a known Microsoft 365 SMTP endpoint (such as smtp.office365.com): ` +
      'the Microsoft 365 access token is sent to it, so make sure that it is a server you trust',
  ];
}

/** A field as compared case-insensitively; the rules also see bodies whose fields are wrong. */
function lower(value: unknown): unknown {
  return typeof value === 'string' ? value.toLowerCase() : value;
}
