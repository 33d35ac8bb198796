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
import type { MailProvider, SealedSmtpSettings } from '../../interfaces/smtp-settings.types';
import { checkDto } from '../../internal/validate-dto';

/** Bearer settings by provider; an unknown or missing provider is checked as Microsoft SMTP's. */
const BEARER_DTO_BY_PROVIDER: Record<MailProvider, new () => SmtpSettingsDto> = {
  microsoft: BearerSmtpSettingsDto,
  'microsoft-graph': MicrosoftGraphSettingsDto,
  google: GoogleSmtpSettingsDto,
};
/** Fields whose own problems make the cross-field rules meaningless. */
const CROSS_FIELDS = ['port', 'useTls', 'username', 'senderEmail', 'tlsMode'];

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
  const { dto, problems } = checkDto(cls, body, multiline);
  if (!problems.some((p) => CROSS_FIELDS.includes(p.field)))
    problems.push(...crossFieldProblems(dto));
  if (stored !== undefined) problems.push(...secretProblems(dto, stored, problems));
  if (problems.length > 0) throw new SettingsValidationError(problems);
  return dto;
}

function dtoClassOf(type: 'basic' | 'bearer', body: unknown): new () => SmtpSettingsDto {
  if (type === 'basic') return BasicSmtpSettingsDto;
  const provider = (body as { provider?: unknown }).provider;
  return Object.hasOwn(BEARER_DTO_BY_PROVIDER, String(provider))
    ? BEARER_DTO_BY_PROVIDER[provider as MailProvider]
    : BearerSmtpSettingsDto;
}
