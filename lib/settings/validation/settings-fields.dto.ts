import {
  IsBoolean,
  IsDefined,
  IsEmail,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateBy,
} from 'class-validator';
import { ApiProperty, ApiPropertyOptional } from '../../internal/api-property';
import { IsSmtpHostname } from './smtp-settings.rules';
import type { SmtpTlsMode } from '../../interfaces/smtp-settings.types';

/*
 * The fields that several kinds of settings share, as DTO base classes and composed decorators.
 * Messages name the field as the admin sees it, and each field reports its first problem only.
 */

// No TLD required: intranet servers send as noreply@localhost or it@intranet.
export const EMAIL = { allow_display_name: false, allow_ip_domain: false, require_tld: false };

/** Decorators applied as if written one above the other, in this order. */
export function fieldRules(...decorators: PropertyDecorator[]): PropertyDecorator {
  return (target, key) => {
    for (const decorator of [...decorators].reverse()) decorator(target, key);
  };
}

/** A field that another kind of settings has, refused by name rather than ignored. */
export function NotUsedWith(provider: string): PropertyDecorator {
  return (target, key) =>
    ValidateBy(
      { name: 'notUsed', validator: { validate: (value: unknown) => value === undefined } },
      { message: `${String(key)} is not used with provider ${provider}` },
    )(target, key);
}

/** What every kind of settings says about its sender. */
export abstract class SenderFieldsDto {
  @ApiProperty({
    description:
      'The default sender of all mail. The product only sends from it and cannot receive replies there; for Microsoft 365 it must equal username.',
    example: 'noreply@example.com',
    format: 'email',
    maxLength: 254,
  })
  @IsDefined({ message: 'senderEmail is required' })
  @IsString({ message: 'senderEmail must be a string' })
  @MaxLength(254, { message: 'senderEmail must be at most 254 characters' })
  @IsEmail(EMAIL, { message: 'senderEmail must be a valid email address' })
  senderEmail!: string;

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
}

/** Where an SMTP server is, and how TLS is used with it. */
export abstract class SmtpServerFieldsDto extends SenderFieldsDto {
  @ApiProperty({
    description:
      'The SMTP server: a DNS name or an IP address. For Microsoft 365, usually smtp.office365.com; for Google Workspace, smtp.gmail.com.',
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
      'Send using TLS. Must be on for ports 587 and 465, and for Bearer; normally off for port 25.',
    example: true,
  })
  @IsDefined({ message: 'useTls is required' })
  @IsBoolean({ message: 'useTls must be true or false' })
  useTls!: boolean;

  @ApiPropertyOptional({
    description:
      'How TLS starts when useTls is on. Defaults to implicit on port 465, starttls elsewhere.',
    enum: ['starttls', 'implicit'],
  })
  @IsOptional()
  @IsIn(['starttls', 'implicit'], { message: 'tlsMode must be starttls or implicit' })
  tlsMode?: SmtpTlsMode;
}

/** `type` of every kind of Bearer settings: behind the upgrade the product article names. */
export function BearerTypeField(): PropertyDecorator {
  return fieldRules(
    ApiProperty({
      enum: ['bearer'],
      description:
        'Bearer (OAuth 2.0) authentication. Requires the upgrade "Security Enhancement - oAuth Enablement for SMTP services".',
    }),
    IsIn(['bearer']),
  );
}

/**
 * `provider` of one kind of Bearer settings. Its problem is worded by `validateSmtpSettings`, which
 * lists the registered providers.
 */
export function ProviderField(provider: string, description: string): PropertyDecorator {
  return fieldRules(
    ApiProperty({ enum: [provider], description }),
    IsDefined({ message: 'provider is required' }),
    IsIn([provider], { message: 'provider is not known' }),
  );
}

/** The mailbox that signs in: an email address, named in the admin's words. */
export function MailboxField(description: string, message: string): PropertyDecorator {
  return fieldRules(
    ApiProperty({ description, example: 'noreply@contoso.com', format: 'email', maxLength: 254 }),
    IsDefined({ message: 'username is required' }),
    IsString({ message: 'username must be a string' }),
    MaxLength(254, { message: 'username must be at most 254 characters' }),
    IsEmail(EMAIL, { message }),
  );
}
