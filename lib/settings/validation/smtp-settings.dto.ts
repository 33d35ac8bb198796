import { IsDefined, IsIn, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { ApiProperty, ApiPropertyOptional } from '../../internal/api-property';
import { SmtpServerFieldsDto } from './settings-fields.dto';
import type { SmtpSettingsInput } from '../../interfaces/smtp-settings-input.interface';

/*
 * The bodies of PUT and POST /verify, discriminated on `type`, then for Bearer on `provider` (each
 * provider's body is in its folder of lib/providers/).
 * Secrets are optional here because an omitted secret may reuse the stored one;
 * SmtpSettingsService decides whether it may.
 */

export class BasicSmtpSettingsDto extends SmtpServerFieldsDto {
  @ApiProperty({ enum: ['basic'], description: 'Basic authentication (username and password).' })
  @IsIn(['basic'])
  type!: 'basic';

  @ApiProperty({ description: 'The SMTP username.', example: 'mailer', maxLength: 254 })
  @IsDefined({ message: 'username is required' })
  @IsString({ message: 'username must be a string' })
  @IsNotEmpty({ message: 'username is required' })
  @MaxLength(254, { message: 'username must be at most 254 characters' })
  username!: string;

  @ApiPropertyOptional({
    description:
      'The SMTP password. Required on first save; omit it to keep the stored one (only while hostname, port and username are unchanged). Never returned.',
    format: 'password',
    writeOnly: true,
    maxLength: 1024,
  })
  @IsOptional()
  @IsString({ message: 'password must be a string' })
  @IsNotEmpty({ message: 'password must not be empty (omit it to keep the stored one)' })
  @MaxLength(1024, { message: 'password must be at most 1024 characters' })
  password?: string;
}

/**
 * A Bearer body as its provider's DTO (in lib/providers/) checked it: that provider's settings, the
 * secret optional.
 */
export type BearerSettingsDto = Exclude<SmtpSettingsInput, { type: 'basic' }>;

export type SmtpSettingsDto = BasicSmtpSettingsDto | BearerSettingsDto;
