import {
  BearerTypeField,
  MailboxField,
  NotUsedWith,
  ProviderField,
  SenderFieldsDto,
} from '../../settings/validation/settings-fields.dto';
import {
  ClientIdField,
  ClientSecretField,
  TenantIdField,
} from '../microsoft-smtp/entra-app-fields';
import {
  ClientCertificateDto,
  ClientCertificateField,
} from '../../settings/validation/client-certificate.dto';

/**
 * Microsoft 365 through Microsoft Graph `sendMail` (`provider: "microsoft-graph"`): HTTPS always,
 * so the SMTP fields are refused by name rather than ignored.
 */
export class MicrosoftGraphSettingsDto extends SenderFieldsDto {
  @BearerTypeField()
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

  @ClientSecretField('username, clientId and tenantId')
  clientSecret?: string;

  @ClientCertificateField('username, clientId and tenantId')
  clientCertificate?: ClientCertificateDto;

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
