import {
  IsBoolean,
  IsDefined,
  IsEmail,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { ApiProperty, ApiPropertyOptional } from '../../internal/api-property';
import { IsGuid, IsSmtpHostname, IsTenantId } from './smtp-settings.rules';
import type { MailProvider, SmtpTlsMode } from '../../interfaces/smtp-settings.types';

/*
 * The bodies of PUT and POST /verify, discriminated on `type`. Secrets are optional here because an
 * omitted secret may reuse the stored one; SmtpSettingsService decides whether it may.
 * Messages name the field as the admin sees it, and each field reports its first problem only.
 */

// No TLD required: intranet servers send as noreply@localhost or it@intranet.
const EMAIL = { allow_display_name: false, allow_ip_domain: false, require_tld: false };

abstract class SmtpSettingsBaseDto {
  @ApiProperty({
    description:
      'The SMTP server: a DNS name or an IP address. For Microsoft 365, usually smtp.office365.com.',
    example: 'smtp.example.com',
    maxLength: 253,
  })
  @IsDefined({ message: 'hostname is required' })
  @IsString({ message: 'hostname must be a string' })
  @MaxLength(253, { message: 'hostname must be at most 253 characters' })
  @IsSmtpHostname()
  hostname!: string;

  @ApiProperty({
    description: 'The SMTP port: 25 without TLS, 587 with STARTTLS, 465 with implicit TLS.',
    example: 587,
    minimum: 1,
    maximum: 65535,
  })
  @IsDefined({ message: 'port is required' })
  @IsInt({ message: 'port must be a whole number from 1 to 65535' })
  @Min(1, { message: 'port must be a whole number from 1 to 65535' })
  @Max(65535, { message: 'port must be a whole number from 1 to 65535' })
  port!: number;

  @ApiProperty({
    description:
      'The default sender of all mail. The product only sends from it and cannot receive replies there; for Bearer it must equal username.',
    example: 'noreply@example.com',
    format: 'email',
    maxLength: 254,
  })
  @IsDefined({ message: 'senderEmail is required' })
  @IsString({ message: 'senderEmail must be a string' })
  @MaxLength(254, { message: 'senderEmail must be at most 254 characters' })
  @IsEmail(EMAIL, { message: 'senderEmail must be a valid email address' })
  senderEmail!: string;

  @ApiProperty({
    description: 'Send using TLS. Must be on for ports 587 and 465; normally off for port 25.',
    example: true,
  })
  @IsDefined({ message: 'useTls is required' })
  @IsBoolean({ message: 'useTls must be true or false' })
  useTls!: boolean;

  @ApiPropertyOptional({ description: 'The display name of the sender.', maxLength: 100 })
  @IsOptional()
  @IsString({ message: 'senderName must be a string' })
  @MaxLength(100, { message: 'senderName must be at most 100 characters' })
  senderName?: string;

  @ApiPropertyOptional({
    description: 'Where replies go, since the sender mailbox cannot receive them.',
    format: 'email',
    maxLength: 254,
  })
  @IsOptional()
  @IsString({ message: 'replyTo must be a string' })
  @MaxLength(254, { message: 'replyTo must be at most 254 characters' })
  @IsEmail(EMAIL, { message: 'replyTo must be a valid email address' })
  replyTo?: string;

  @ApiPropertyOptional({
    description:
      'How TLS starts when useTls is on. Defaults to implicit on port 465, starttls elsewhere.',
    enum: ['starttls', 'implicit'],
  })
  @IsOptional()
  @IsIn(['starttls', 'implicit'], { message: 'tlsMode must be starttls or implicit' })
  tlsMode?: SmtpTlsMode;
}

export class BasicSmtpSettingsDto extends SmtpSettingsBaseDto {
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

export class BearerSmtpSettingsDto extends SmtpSettingsBaseDto {
  @ApiProperty({
    enum: ['bearer'],
    description:
      'Bearer (OAuth 2.0) authentication. Requires the upgrade "Security Enhancement - oAuth Enablement for SMTP services".',
  })
  @IsIn(['bearer'])
  type!: 'bearer';

  @ApiProperty({
    enum: ['microsoft'],
    description: 'The email provider: only Microsoft SMTP for now.',
  })
  @IsDefined({ message: 'provider is required' })
  @IsIn(['microsoft'], { message: 'provider must be microsoft (the only supported provider)' })
  provider!: MailProvider;

  @ApiProperty({
    description: 'The Microsoft 365 mailbox that authenticates.',
    example: 'noreply@contoso.com',
    format: 'email',
    maxLength: 254,
  })
  @IsDefined({ message: 'username is required' })
  @IsString({ message: 'username must be a string' })
  @MaxLength(254, { message: 'username must be at most 254 characters' })
  @IsEmail(EMAIL, { message: 'username must be the email address of a Microsoft 365 mailbox' })
  username!: string;

  @ApiProperty({
    description: 'The Application (client) ID registered in Entra ID (Azure AD).',
    format: 'uuid',
    example: '00000000-0000-0000-0000-000000000000',
  })
  @IsDefined({ message: 'clientId is required' })
  @IsString({ message: 'clientId must be a string' })
  @IsGuid({ message: 'clientId must be a GUID (the Application (client) ID)' })
  clientId!: string;

  @ApiPropertyOptional({
    description:
      'The client secret from the Azure portal. Required on first save; omit it to keep the stored one (only while hostname, port, username, clientId and tenantId are unchanged). Never returned.',
    format: 'password',
    writeOnly: true,
    maxLength: 1024,
  })
  @IsOptional()
  @IsString({ message: 'clientSecret must be a string' })
  @IsNotEmpty({ message: 'clientSecret must not be empty (omit it to keep the stored one)' })
  @MaxLength(1024, { message: 'clientSecret must be at most 1024 characters' })
  clientSecret?: string;

  @ApiProperty({
    description: 'The Directory (tenant) ID, or a verified domain such as contoso.onmicrosoft.com.',
    example: 'contoso.onmicrosoft.com',
    maxLength: 253,
  })
  @IsDefined({ message: 'tenantId is required' })
  @IsString({ message: 'tenantId must be a string' })
  @MaxLength(253, { message: 'tenantId must be at most 253 characters' })
  @IsTenantId()
  tenantId!: string;
}

export type SmtpSettingsDto = BasicSmtpSettingsDto | BearerSmtpSettingsDto;
