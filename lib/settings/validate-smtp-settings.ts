import { SettingsValidationError } from '../errors/settings-validation.error';
import {
  BasicSmtpSettingsDto,
  BearerSmtpSettingsDto,
  type SmtpSettingsDto,
} from './smtp-settings.dto';
import { crossFieldProblems } from './smtp-settings.rules';
import { checkDto } from './validate-dto';

const DTO_BY_TYPE: Record<SmtpSettingsDto['type'], new () => SmtpSettingsDto> = {
  basic: BasicSmtpSettingsDto,
  bearer: BearerSmtpSettingsDto,
};
/** Fields whose own problems make the cross-field rules meaningless. */
const CROSS_FIELDS = ['port', 'useTls', 'username', 'senderEmail', 'tlsMode'];

/**
 * Turns an untrusted body into settings of the type it names, or throws one
 * `SettingsValidationError` that lists every problem, each naming its field.
 */
export function validateSmtpSettings(body: unknown): SmtpSettingsDto {
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
  if (problems.length > 0) throw new SettingsValidationError(problems);
  return dto;
}
