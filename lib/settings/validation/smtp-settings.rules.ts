import { isFQDN, isIP, ValidateBy, type ValidationOptions } from 'class-validator';
import type { FieldProblem } from '../../interfaces/field-problem.interface';
import type { SmtpTlsMode } from '../../interfaces/smtp-settings.types';
import { effectiveTlsMode } from '../tls-mode';
import { certificateWarnings } from './client-certificate.rules';

interface TlsFields {
  port: number;
  useTls: boolean;
  tlsMode?: SmtpTlsMode;
}

/** Settings as the rules see them: Microsoft Graph settings have no server, port or TLS. */
type RuleFields = Partial<TlsFields> & {
  type?: string;
  provider?: string;
  hostname?: string;
  username?: string;
  senderEmail?: string;
  clientCertificate?: unknown;
};

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

/** Google Workspace's SMTP endpoint for XOAUTH2: 465 with implicit TLS, 587 with STARTTLS. */
export const GOOGLE_SMTP_HOST = 'smtp.gmail.com';

/** Whose access token a Bearer setting sends, in the admin's words. */
function tokenOf(provider: string | undefined): string {
  return provider === 'google' ? 'Google access token' : 'Microsoft 365 access token';
}

/** Combinations that cannot work, or would expose a credential, as the article states them. */
export function crossFieldProblems(settings: RuleFields): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const { type, provider, port, useTls } = settings;
  const smtp = provider !== 'microsoft-graph';
  if (smtp && type === 'bearer' && !useTls) {
    // XOAUTH2 sends the access token itself: without TLS anyone on the path could reuse it.
    problems.push({
      field: 'useTls',
      message: `Bearer authentication requires useTls to be on: the ${tokenOf(provider)} must never be sent without TLS`,
    });
  } else if (smtp && (port === 587 || port === 465) && !useTls) {
    problems.push({ field: 'useTls', message: `port ${port} requires useTls to be on` });
  }
  if (provider === 'google' && isHost(settings.hostname, [GOOGLE_SMTP_HOST])) {
    if (port !== 465 && port !== 587) {
      problems.push({
        field: 'port',
        message: `port must be 465 (implicit TLS) or 587 (STARTTLS) for ${GOOGLE_SMTP_HOST}`,
      });
    }
  }
  if (
    type === 'bearer' &&
    provider !== 'google' &&
    lower(settings.senderEmail) !== lower(settings.username)
  ) {
    problems.push({
      field: 'senderEmail',
      message:
        'senderEmail must be the same as username (the Microsoft 365 mailbox) for Bearer authentication',
    });
  }
  return problems;
}

/**
 * Combinations that can work but usually are a mistake, and a certificate that expires soon: saved,
 * and pointed out.
 */
export function settingsWarnings(settings: RuleFields): string[] {
  return [...serverWarnings(settings), ...certificateWarnings(settings)];
}

function serverWarnings(settings: RuleFields): string[] {
  if (settings.port === undefined || settings.useTls === undefined) return [];
  const warnings: string[] = [];
  const mode = effectiveTlsMode({ port: settings.port, tlsMode: settings.tlsMode });
  if (settings.port === 25 && settings.useTls) {
    warnings.push(
      'port 25 is normally used without TLS: the server must offer STARTTLS on port 25, or sending will fail',
    );
  }
  if (settings.useTls && settings.port === 587 && mode === 'implicit') {
    warnings.push('port 587 normally expects STARTTLS, not implicit TLS: check tlsMode');
  }
  if (settings.useTls && settings.port === 465 && mode === 'starttls') {
    warnings.push('port 465 normally expects implicit TLS, not STARTTLS: check tlsMode');
  }
  if (settings.type === 'bearer' && settings.hostname) {
    warnings.push(...bearerWarnings({ ...settings, hostname: settings.hostname }));
  }
  if (settings.type === 'basic' && isMicrosoftSmtpHost(settings.hostname ?? '')) {
    warnings.push(BASIC_ON_MICROSOFT_WARNING);
  }
  return warnings;
}

/**
 * Basic settings that sign in at Microsoft 365 stop working once Microsoft turns Basic off. What
 * Microsoft has announced, and no date of our own: the final removal date is still to come.
 */
export const BASIC_ON_MICROSOFT_WARNING =
  'Microsoft is retiring Basic authentication for SMTP AUTH: it is off by default for existing tenants from the end of December 2026 (a tenant administrator can turn it back on for now), and Microsoft will announce the date of its final removal in 2027. Use Bearer (OAuth 2.0)';

/** A token sent to a server that is not the provider's, and a sender Gmail would rewrite. */
function bearerWarnings(settings: RuleFields & { hostname: string }): string[] {
  if (settings.provider === 'google') {
    const warnings: string[] = [];
    if (!isHost(settings.hostname, [GOOGLE_SMTP_HOST])) {
      warnings.push(
        `${settings.hostname} is not Google's SMTP endpoint (${GOOGLE_SMTP_HOST}): ` +
          'the Google access token is sent to it, so make sure that it is a server you trust',
      );
    }
    if (settings.senderEmail?.toLowerCase() !== settings.username?.toLowerCase()) {
      warnings.push(
        `senderEmail differs from username: Gmail sends from ${settings.senderEmail ?? ''} only if it is one of the mailbox's "Send mail as" addresses, and otherwise from the mailbox itself`,
      );
    }
    return warnings;
  }
  if (!isMicrosoftSmtpHost(settings.hostname)) {
    return [
      `${settings.hostname} is not a known Microsoft 365 SMTP endpoint (such as smtp.office365.com): ` +
        'the Microsoft 365 access token is sent to it, so make sure that it is a server you trust',
    ];
  }
  return [];
}

/** A field as compared case-insensitively; the rules also see bodies whose fields are wrong. */
function lower(value: unknown): unknown {
  return typeof value === 'string' ? value.toLowerCase() : value;
}

/** Whether `hostname` is one of `hosts`, as DNS compares names: any case, a trailing dot or none. */
export function isHost(hostname: string | undefined, hosts: readonly string[]): boolean {
  return typeof hostname === 'string' && hosts.includes(hostname.toLowerCase().replace(/\.$/, ''));
}

export function isMicrosoftSmtpHost(hostname: string): boolean {
  return isHost(hostname, MICROSOFT_SMTP_HOSTS);
}

// Field formats, as class-validator decorators of the DTOs.

/** A DNS name or an IP address: no scheme, path, port or spaces, which admins often paste by mistake. */
export function isSmtpHostname(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  return isIP(value) || isFQDN(value, { require_tld: false, allow_underscores: false });
}

export function IsSmtpHostname(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    { name: 'isSmtpHostname', validator: { validate: isSmtpHostname } },
    {
      message: 'hostname must be a DNS name or an IP address (no scheme, path, port or spaces)',
      ...options,
    },
  );
}

/**
 * Any 8-4-4-4-12 hex GUID, as Entra ID accepts: its ids need not carry RFC 4122 version and variant
 * nibbles, which class-validator's isUUID('all') insists on.
 */
export function isGuid(value: unknown): boolean {
  return typeof value === 'string' && /^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/i.test(value);
}

export function IsGuid(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isGuid',
      validator: { validate: isGuid },
    },
    options,
  );
}

/** A Directory (tenant) ID, or one of the tenant's verified domains such as contoso.onmicrosoft.com. */
export function IsTenantId(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isTenantId',
      validator: {
        validate: (v: unknown) => isGuid(v) || (typeof v === 'string' && isFQDN(v)),
      },
    },
    {
      message:
        'tenantId must be a GUID (the Directory (tenant) ID) or a verified domain such as contoso.onmicrosoft.com',
      ...options,
    },
  );
}
