import type { FieldProblem } from '../interfaces/field-problem.interface';
import { changedDestination } from './secret-destination';
import type { SmtpSettingsDto } from './validation/smtp-settings.dto';
import type { SealedSmtpSettings, SmtpSettings } from '../interfaces/smtp-settings.types';
import { credentialFieldOf, secretOf, withSecret, type CredentialField } from './secret-field';
import { providerOf, type ProviderSettingsList } from './provider-settings.interface';

/**
 * The problem with an omitted secret, listed with the body's other problems. An omitted secret
 * reuses the stored one only when it would go where it was approved to go: the same type, provider,
 * server, account, TLS and application (or service account). Otherwise the admin must enter it again, so that a stored secret
 * is never sent to a server, or over a connection, that the admin did not approve it for.
 *
 * Settings whose app may sign in with a certificate (Microsoft's) sign in with one credential, their
 * secret field or `clientCertificate`: both is a problem; neither keeps the stored one of either
 * kind, under the same rule.
 *
 * `others` are the body's other problems. A destination field with a problem of its own is still
 * compared: a different value, right or wrong, sends the secret somewhere else.
 */
export function secretProblems(
  dto: SmtpSettingsDto,
  stored: SealedSmtpSettings | null,
  others: readonly FieldProblem[],
  providers: ProviderSettingsList,
): FieldProblem[] {
  const secretField = certificateCapable(dto, providers);
  if (secretField && both(dto, secretField)) {
    return [
      {
        field: 'clientCertificate',
        message: `send ${secretField} or clientCertificate, not both: the app signs in with one of them`,
      },
    ];
  }
  const field = credentialFieldOf(dto, providers);
  if (secretOf(dto, providers) !== undefined || others.some((p) => isAbout(p, field))) return [];
  if (secretField && (dto as { clientCertificate?: unknown }).clientCertificate != null) return [];
  const kept =
    stored &&
    (secretField
      ? certificateCapable(stored, providers) !== undefined
      : credentialFieldOf(stored, providers) === field);
  if (!stored || !kept) {
    return [
      {
        field,
        message: secretField
          ? `${secretField} or clientCertificate is required`
          : `${field} is required`,
      },
    ];
  }
  const keptField = credentialFieldOf(stored, providers);
  const changed = changedDestination(stored, dto, providers);
  if (changed.length === 0) return [];
  return [
    {
      field: keptField,
      message: `${keptField} must be re-entered because ${listOf(changed)} changed`,
    },
  ];
}

/**
 * The settings to validate and save: the body's, with its own secret, or with the stored one opened
 * (`secret`) where `secretProblems` allowed reusing it. A kept certificate keeps its certificate.
 */
export function settingsWithSecret(
  dto: SmtpSettingsDto,
  stored: SealedSmtpSettings | null,
  providers: ProviderSettingsList,
  secret?: string,
): SmtpSettings {
  const body = withoutUndefined({ ...dto }) as unknown as SmtpSettings;
  if (secret === undefined) return body;
  const { clientCertificate } = (stored ?? {}) as { clientCertificate?: object };
  return withSecret<SmtpSettings>(
    (clientCertificate ? { ...body, clientCertificate } : body) as SmtpSettings,
    secret,
    providers,
  );
}

/** The secret field of settings whose app may sign in with a certificate instead; else undefined. */
function certificateCapable(
  settings: { type: string; provider?: string },
  providers: ProviderSettingsList,
): string | undefined {
  const provider = providerOf(providers, settings);
  return provider?.clientCertificate ? provider.secretField : undefined;
}

function both(dto: SmtpSettingsDto, secretField: string): boolean {
  const body = dto as unknown as Record<string, unknown>;
  return body[secretField] != null && body.clientCertificate != null;
}

/** A problem with the credential field itself, or with a part of it (`clientCertificate.privateKey`). */
function isAbout(problem: FieldProblem, field: CredentialField): boolean {
  return problem.field === field || problem.field.startsWith(`${field}.`);
}

/** "a", "a and b", "a, b and c". */
function listOf(items: string[]): string {
  return items.length < 2
    ? items.join('')
    : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
