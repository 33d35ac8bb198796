import {
  BearerTypeField,
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
  @BearerTypeField()
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
