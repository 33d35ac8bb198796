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
import { IsGuid, IsSmtpHostname, IsTenantId } from './smtp-settings.validators';
import type { MailProvider, SmtpTlsMode } from './smtp-settings.types';

/*
 * The bodies of PUT and POST /verify, discriminated on `type`. Secrets are optional here because an
 * omitted secret may reuse the stored one; SmtpSettingsService decides whether it may.
 * Messages name the field as the admin sees it, and each field reports its first problem only.
 */

const EMAIL = { allow_display_name: false, allow_ip_domain: false };

abstract class SmtpSettingsBaseDto {
  @IsDefined({ message: 'hostname is required' })
  @IsString({ message: 'hostname must be a string' })
  @MaxLength(253, { message: 'hostname must be at most 253 characters' })
  @IsSmtpHostname()
  hostname!: string;

  @IsDefined({ message: 'port is required' })
  @IsInt({ message: 'port must be a whole number from 1 to 65535' })
  @Min(1, { message: 'port must be a whole number from 1 to 65535' })
  @Max(65535, { message: 'port must be a whole number from 1 to 65535' })
  port!: number;

  @IsDefined({ message: 'senderEmail is required' })
  @IsString({ message: 'senderEmail must be a string' })
  @MaxLength(254, { message: 'senderEmail must be at most 254 characters' })
  @IsEmail(EMAIL, { message: 'senderEmail must be a valid email address' })
  senderEmail!: string;

  @IsDefined({ message: 'useTls is required' })
  @IsBoolean({ message: 'useTls must be true or false' })
  useTls!: boolean;

  @IsOptional()
  @IsString({ message: 'senderName must be a string' })
  @MaxLength(100, { message: 'senderName must be at most 100 characters' })
  senderName?: string;

  @IsOptional()
  @IsString({ message: 'replyTo must be a string' })
  @MaxLength(254, { message: 'replyTo must be at most 254 characters' })
  @IsEmail(EMAIL, { message: 'replyTo must be a valid email address' })
  replyTo?: string;

  @IsOptional()
  @IsIn(['starttls', 'implicit'], { message: 'tlsMode must be starttls or implicit' })
  tlsMode?: SmtpTlsMode;
}

export class BasicSmtpSettingsDto extends SmtpSettingsBaseDto {
  @IsIn(['basic'])
  type!: 'basic';

  @IsDefined({ message: 'username is required' })
  @IsString({ message: 'username must be a string' })
  @IsNotEmpty({ message: 'username is required' })
  @MaxLength(254, { message: 'username must be at most 254 characters' })
  username!: string;

  @IsOptional()
  @IsString({ message: 'password must be a string' })
  @IsNotEmpty({ message: 'password must not be empty (omit it to keep the stored one)' })
  @MaxLength(1024, { message: 'password must be at most 1024 characters' })
  password?: string;
}

export class BearerSmtpSettingsDto extends SmtpSettingsBaseDto {
  @IsIn(['bearer'])
  type!: 'bearer';

  @IsDefined({ message: 'provider is required' })
  @IsIn(['microsoft'], { message: 'provider must be microsoft (the only supported provider)' })
  provider!: MailProvider;

  @IsDefined({ message: 'username is required' })
  @IsString({ message: 'username must be a string' })
  @MaxLength(254, { message: 'username must be at most 254 characters' })
  @IsEmail(EMAIL, { message: 'username must be the email address of a Microsoft 365 mailbox' })
  username!: string;

  @IsDefined({ message: 'clientId is required' })
  @IsString({ message: 'clientId must be a string' })
  @IsGuid({ message: 'clientId must be a GUID (the Application (client) ID)' })
  clientId!: string;

  @IsOptional()
  @IsString({ message: 'clientSecret must be a string' })
  @IsNotEmpty({ message: 'clientSecret must not be empty (omit it to keep the stored one)' })
  @MaxLength(1024, { message: 'clientSecret must be at most 1024 characters' })
  clientSecret?: string;

  @IsDefined({ message: 'tenantId is required' })
  @IsString({ message: 'tenantId must be a string' })
  @MaxLength(253, { message: 'tenantId must be at most 253 characters' })
  @IsTenantId()
  tenantId!: string;
}

export type SmtpSettingsDto = BasicSmtpSettingsDto | BearerSmtpSettingsDto;
