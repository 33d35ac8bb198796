import { IsDefined, IsIn, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { ApiProperty, ApiPropertyOptional } from '../../internal/api-property';
import {
  ClientIdField,
  ClientSecretField,
  MailboxField,
  ProviderField,
  SmtpServerFieldsDto,
  TenantIdField,
} from './settings-fields.dto';
import { GoogleSmtpSettingsDto } from './google-settings.dto';
import { MicrosoftGraphSettingsDto } from './microsoft-graph-settings.dto';
import { ClientCertificateDto, ClientCertificateField } from './client-certificate.dto';

export { GoogleSmtpSettingsDto } from './google-settings.dto';
export { MicrosoftGraphSettingsDto } from './microsoft-graph-settings.dto';

/*
 * The bodies of PUT and POST /verify, discriminated on `type`, then for Bearer on `provider`.
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

/** Microsoft 365 SMTP AUTH with XOAUTH2 (`provider: "microsoft"`). */
export class BearerSmtpSettingsDto extends SmtpServerFieldsDto {
  @ApiProperty({
    enum: ['bearer'],
    description:
      'Bearer (OAuth 2.0) authentication. Requires the upgrade "Security Enhancement - oAuth Enablement for SMTP services".',
  })
  @IsIn(['bearer'])
  type!: 'bearer';

  @ProviderField('microsoft', 'Microsoft 365 SMTP AUTH with XOAUTH2.')
  provider!: 'microsoft';

  @MailboxField(
    'The Microsoft 365 mailbox that authenticates.',
    'username must be the email address of a Microsoft 365 mailbox',
  )
  username!: string;

  @ClientIdField()
  clientId!: string;

  @ClientSecretField('hostname, port, TLS, username, clientId and tenantId')
  clientSecret?: string;

  @ClientCertificateField('hostname, port, TLS, username, clientId and tenantId')
  clientCertificate?: ClientCertificateDto;

  @TenantIdField()
  tenantId!: string;
}

export type BearerSettingsDto =
  BearerSmtpSettingsDto | MicrosoftGraphSettingsDto | GoogleSmtpSettingsDto;

export type SmtpSettingsDto = BasicSmtpSettingsDto | BearerSettingsDto;
