import type { FieldProblem } from '../../interfaces/field-problem.interface';
import type { ProviderRuleFields } from '../../settings/provider-settings.interface';
import { isHost } from '../../settings/validation/smtp-settings.rules';

/** Google Workspace's SMTP endpoint for XOAUTH2: 465 with implicit TLS, 587 with STARTTLS. */
export const GOOGLE_SMTP_HOST = 'smtp.gmail.com';

/** Gmail's SMTP endpoint listens on 465 and 587 only. */
export function googleProblems(settings: ProviderRuleFields): FieldProblem[] {
  const { port } = settings;
  if (!isHost(settings.hostname, [GOOGLE_SMTP_HOST]) || port === 465 || port === 587) return [];
  return [
    {
      field: 'port',
      message: `port must be 465 (implicit TLS) or 587 (STARTTLS) for ${GOOGLE_SMTP_HOST}`,
    },
  ];
}

/** A token sent to a server that is not Google's, and a sender Gmail would rewrite. */
export function googleWarnings(settings: ProviderRuleFields & { hostname: string }): string[] {
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
