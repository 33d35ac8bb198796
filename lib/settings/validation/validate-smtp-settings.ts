import { SettingsValidationError } from '../../errors/settings-validation.error';
import {
  BasicSmtpSettingsDto,
  BearerSmtpSettingsDto,
  type SmtpSettingsDto,
} from './smtp-settings.dto';
import { secretProblems } from '../secret-reuse';
import { crossFieldProblems } from './smtp-settings.rules';
import type { SealedSmtpSettings } from '../../interfaces/smtp-settings.types';
import { checkDto } from '../../internal/validate-dto';

const DTO_BY_TYPE: Record<SmtpSettingsDto['type'], new () => SmtpSettingsDto> = {
  basic: BasicSmtpSettingsDto,
  bearer: BearerSmtpSettingsDto,
};
/** Fields whose own problems make the cross-field rules meaningless. */
const CROSS_FIELDS = ['port', 'useTls', 'username', 'senderEmail', 'tlsMode'];

/**
 * Turns an untrusted body into settings of the type it names, or throws one
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
  const { dto, problems } = checkDto(DTO_BY_TYPE[type], body);
  if (!problems.some((p) => CROSS_FIELDS.includes(p.field)))
    problems.push(...crossFieldProblems(dto));
  if (stored !== undefined) problems.push(...secretProblems(dto, stored, problems));
  if (problems.length > 0) throw new SettingsValidationError(problems);
  return dto;
}
