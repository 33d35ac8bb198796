import { SettingsValidationError } from '../../errors/settings-validation.error';
import { BasicSmtpSettingsDto, type SmtpSettingsDto } from './smtp-settings.dto';
import { secretProblems } from '../secret-reuse';
import { crossFieldProblems } from './smtp-settings.rules';
import type { ClientCertificate, SealedSmtpSettings } from '../../interfaces/smtp-settings.types';
import { checkClientCertificate } from './client-certificate.rules';
import { checkDto } from '../../internal/validate-dto';
import {
  providerOf,
  type ProviderSettings,
  type ProviderSettingsList,
} from '../provider-settings.interface';

/**
 * What each cross-field rule reads, by the field it names: a rule that reads a field with a problem
 * of its own says nothing, and every other rule speaks with the fields' problems, all at once.
 */
const CROSS_READS: Record<string, readonly string[]> = {
  useTls: ['port', 'useTls', 'type', 'provider'],
  port: ['hostname', 'port', 'provider'],
  senderEmail: ['senderEmail', 'username'],
};

/**
 * Turns an untrusted body into settings of the type (and provider) it names, or throws one
 * `SettingsValidationError` that lists every problem, each naming its field.
 *
 * With `stored` (the saved settings, or `null` when there are none), an omitted secret is checked
 * too: required when there is none to reuse, or when the body sends it somewhere else.
 */
export function validateSmtpSettings(
  body: unknown,
  providers: ProviderSettingsList,
  stored?: SealedSmtpSettings | null,
): SmtpSettingsDto {
  const type = (body as { type?: unknown } | null)?.type;
  if (type !== 'basic' && type !== 'bearer') {
    const { problems } = checkDto(BasicSmtpSettingsDto, body);
    const message =
      type === undefined ? 'type is required (basic or bearer)' : 'type must be basic or bearer';
    throw new SettingsValidationError([
      ...problems.filter((p) => p.field === 'body'),
      ...(Array.isArray(body) || typeof body !== 'object' || body === null
        ? []
        : [{ field: 'type', message }]),
    ]);
  }
  // A Bearer body is checked as its provider's (the first one's when it names none we know).
  const provider = providerOf(providers, body as { type: string; provider?: unknown });
  const cls = (provider?.dto ?? BasicSmtpSettingsDto) as new () => SmtpSettingsDto;
  // An object, checked on its own: checkDto takes every field for a primitive.
  const { clientCertificate, rest } = splitCertificate(provider, body as Record<string, unknown>);
  const checked = checkDto(cls, rest, provider?.multilineFields ?? []);
  const { dto } = checked;
  const problems = checked.problems.map((p) =>
    p.field === 'provider' ? providerProblem(providers, body as { provider?: unknown }) : p,
  );
  if (clientCertificate != null) {
    const checked = checkClientCertificate(clientCertificate);
    (dto as { clientCertificate?: ClientCertificate }).clientCertificate = checked.certificate;
    problems.push(...checked.problems);
  }
  const broken = new Set(problems.map((p) => p.field));
  problems.push(
    ...crossFieldProblems(dto, providers).filter((p) =>
      (CROSS_READS[p.field] ?? [p.field]).every((field) => !broken.has(field)),
    ),
  );
  if (stored !== undefined) problems.push(...secretProblems(dto, stored, problems, providers));
  if (problems.length > 0) throw new SettingsValidationError(problems);
  return dto;
}

/** What is wrong with `provider`, naming every registered provider. */
function providerProblem(providers: ProviderSettingsList, body: { provider?: unknown }) {
  const ids = providers.map((provider) => provider.id);
  const list = ids.length < 2 ? ids.join('') : `${ids.slice(0, -1).join(', ')} or ${ids.at(-1)}`;
  const message =
    body.provider == null ? `provider is required (${list})` : `provider must be ${list}`;
  return { field: 'provider', message };
}

/** The `clientCertificate` of a provider that takes one, apart from the body's other fields. */
function splitCertificate(
  provider: ProviderSettings | undefined,
  body: Record<string, unknown>,
): { clientCertificate?: unknown; rest: Record<string, unknown> } {
  if (!provider?.clientCertificate || !Object.hasOwn(body, 'clientCertificate')) {
    return { rest: body };
  }
  const { clientCertificate, ...rest } = body;
  return { clientCertificate, rest };
}
