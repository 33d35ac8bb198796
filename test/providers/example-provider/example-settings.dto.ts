import {
  IsDefined,
  IsIn,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
} from 'class-validator';
import {
  fieldRules,
  MailboxField,
  ProviderField,
  SmtpServerFieldsDto,
} from '../../../lib/settings/validation/settings-fields.dto';

/** The body of Example Mail settings (`provider: "example"`): a mailbox, an account and its secret. */
export class ExampleSettingsDto extends SmtpServerFieldsDto {
  @IsIn(['bearer'])
  type!: 'bearer';

  @ProviderField('example', 'Example Mail over SMTP with XOAUTH2.')
  provider!: 'example';

  @MailboxField(
    'The Example Mail mailbox that signs in.',
    'username must be the email address of an Example Mail mailbox',
  )
  username!: string;

  /** Which Example Mail account issues the tokens: the secret is bound to it. */
  @fieldRules(
    IsDefined({ message: 'accountId is required' }),
    IsString({ message: 'accountId must be a string' }),
    Matches(/^acct-\d+$/, { message: 'accountId must look like acct-123' }),
  )
  accountId!: string;

  /** The account's secret: optional, since an omitted one keeps the stored one. */
  @fieldRules(
    IsOptional(),
    IsString({ message: 'clientSecret must be a string' }),
    IsNotEmpty({ message: 'clientSecret must not be empty (omit it to keep the stored one)' }),
    MaxLength(1024, { message: 'clientSecret must be at most 1024 characters' }),
  )
  clientSecret?: string;
}
