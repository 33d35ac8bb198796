import { SettingsValidationError } from '../../errors/settings-validation.error';
import {
  BasicSmtpSettingsDto,
  BearerSmtpSettingsDto,
  GoogleSmtpSettingsDto,
  MicrosoftGraphSettingsDto,
  type SmtpSettingsDto,
} from './smtp-settings.dto';
import { MULTILINE_FIELDS } from './google-settings.dto';
import { secretProblems } from '../secret-reuse';
import { crossFieldProblems } from './smtp-settings.rules';
import type {
  ClientCertificate,
  MailProvider,
  SealedSmtpSettings,
} from '../../interfaces/smtp-settings.types';
import { checkClientCertificate } from './client-certificate.rules';
import { checkDto } from '../../internal/validate-dto';

/** Bearer settings by provider; an unknown or missing provider is checked as Microsoft SMTP's. */
const BEARER_DTO_BY_PROVIDER: Record<MailProvider, new () => SmtpSettingsDto> = {
  microsoft: BearerSmtpSettingsDto,
  'microsoft-graph': MicrosoftGraphSettingsDto,
  google: GoogleSmtpSettingsDto,
};
/** The kinds of settings that may sign in with `clientCertificate`. */
const MICROSOFT_DTOS = new Set<new () => SmtpSettingsDto>([
  BearerSmtpSettingsDto,
  MicrosoftGraphSettingsDto,
]);
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
  const cls = dtoClassOf(type, body);
  const multiline = cls === GoogleSmtpSettingsDto ? MULTILINE_FIELDS : [];
  // An object, checked on its own: checkDto takes every field for a primitive.
  const { clientCertificate, rest } = splitCertificate(cls, body as Record<string, unknown>);
  const { dto, problems } = checkDto(cls, rest, multiline);
  if (clientCertificate != null) {
    const checked = checkClientCertificate(clientCertificate);
    (dto as { clientCertificate?: ClientCertificate }).clientCertificate = checked.certificate;
    problems.push(...checked.problems);
  }
  const broken = new Set(problems.map((p) => p.field));
  problems.push(
    ...crossFieldProblems(dto).filter((p) =>
      (CROSS_READS[p.field] ?? [p.field]).every((field) => !broken.has(field)),
    ),
  );
  if (stored !== undefined) problems.push(...secretProblems(dto, stored, problems));
  if (problems.length > 0) throw new SettingsValidationError(problems);
  return dto;
}

/** Microsoft settings' `clientCertificate`, apart from the body's other fields. */
function splitCertificate(
  cls: new () => SmtpSettingsDto,
  body: Record<string, unknown>,
): { clientCertificate?: unknown; rest: Record<string, unknown> } {
  if (!MICROSOFT_DTOS.has(cls) || !Object.hasOwn(body, 'clientCertificate')) return { rest: body };
  const { clientCertificate, ...rest } = body;
  return { clientCertificate, rest };
}

function dtoClassOf(type: 'basic' | 'bearer', body: unknown): new () => SmtpSettingsDto {
  if (type === 'basic') return BasicSmtpSettingsDto;
  const provider = (body as { provider?: unknown }).provider;
  return Object.hasOwn(BEARER_DTO_BY_PROVIDER, String(provider))
    ? BEARER_DTO_BY_PROVIDER[provider as MailProvider]
    : BearerSmtpSettingsDto;
}
