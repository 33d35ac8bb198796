import { IsIn, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { ApiProperty, ApiPropertyOptional } from '../../internal/api-property';
import {
  ClientIdField,
  MailboxField,
  NotUsedWith,
  ProviderField,
  SenderFieldsDto,
  TenantIdField,
} from './settings-fields.dto';

/**
 * Microsoft 365 through Microsoft Graph `sendMail` (`provider: "microsoft-graph"`): HTTPS always,
 * so the SMTP fields are refused by name rather than ignored.
 */
export class MicrosoftGraphSettingsDto extends SenderFieldsDto {
  @ApiProperty({
    enum: ['bearer'],
    description:
      'Bearer (OAuth 2.0) authentication. Requires the upgrade "Security Enhancement - oAuth Enablement for SMTP services".',
  })
  @IsIn(['bearer'])
  type!: 'bearer';

  @ProviderField(
    'microsoft-graph',
    'Microsoft 365 through Microsoft Graph sendMail, over HTTPS: no hostname, port or TLS.',
  )
  provider!: 'microsoft-graph';

  @MailboxField(
    'The Microsoft 365 mailbox that sends; senderEmail must be the same.',
    'username must be the email address of a Microsoft 365 mailbox',
  )
  username!: string;

  @ClientIdField()
  clientId!: string;

  @ApiPropertyOptional({
    description:
      'The client secret from the Azure portal. Required on first save; omit it to keep the stored one (only while username, clientId and tenantId are unchanged). Never returned.',
    format: 'password',
    writeOnly: true,
    maxLength: 1024,
  })
  @IsOptional()
  @IsString({ message: 'clientSecret must be a string' })
  @IsNotEmpty({ message: 'clientSecret must not be empty (omit it to keep the stored one)' })
  @MaxLength(1024, { message: 'clientSecret must be at most 1024 characters' })
  clientSecret?: string;

  @TenantIdField()
  tenantId!: string;

  @NotUsedWith('microsoft-graph')
  hostname?: never;

  @NotUsedWith('microsoft-graph')
  port?: never;

  @NotUsedWith('microsoft-graph')
  useTls?: never;

  @NotUsedWith('microsoft-graph')
  tlsMode?: never;
}
