import { IsIn } from 'class-validator';
import { ApiProperty } from '../../internal/api-property';
import {
  MailboxField,
  ProviderField,
  SmtpServerFieldsDto,
} from '../../settings/validation/settings-fields.dto';
import { ClientIdField, ClientSecretField, TenantIdField } from './entra-app-fields';
import {
  ClientCertificateDto,
  ClientCertificateField,
} from '../../settings/validation/client-certificate.dto';

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
