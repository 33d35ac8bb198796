import { createPrivateKey } from 'node:crypto';
import { Transform } from 'class-transformer';
import {
  IsDefined,
  IsEmail,
  IsNotEmpty,
  IsOptional,
  IsString,
  MaxLength,
  ValidateBy,
} from 'class-validator';
import { ApiProperty, ApiPropertyOptional } from '../../internal/api-property';
import {
  BearerTypeField,
  EMAIL,
  MailboxField,
  ProviderField,
  SmtpServerFieldsDto,
} from '../../settings/validation/settings-fields.dto';

/** The one field of any settings that may hold line breaks (see `checkDto`). */
export const MULTILINE_FIELDS = ['privateKey'] as const;

/**
 * Google Workspace SMTP with XOAUTH2 (`provider: "google"`): a service account with domain-wide
 * delegation signs in as the mailbox, with the key from its JSON key file.
 */
export class GoogleSmtpSettingsDto extends SmtpServerFieldsDto {
  @BearerTypeField()
  type!: 'bearer';

  @ProviderField(
    'google',
    'Google Workspace SMTP with XOAUTH2, as a service account with domain-wide delegation.',
  )
  provider!: 'google';

  @MailboxField(
    'The Google Workspace mailbox that sends: the service account signs in as it.',
    'username must be the email address of a Google Workspace mailbox',
  )
  username!: string;

  @ApiProperty({
    description:
      "The service account's client_email, from its JSON key file (name@project.iam.gserviceaccount.com).",
    example: 'mailer@my-project.iam.gserviceaccount.com',
    format: 'email',
    maxLength: 254,
  })
  @IsDefined({ message: 'serviceAccountEmail is required' })
  @IsString({ message: 'serviceAccountEmail must be a string' })
  @MaxLength(254, { message: 'serviceAccountEmail must be at most 254 characters' })
  @IsEmail(EMAIL, {
    message:
      "serviceAccountEmail must be the service account's client_email (name@project.iam.gserviceaccount.com)",
  })
  serviceAccountEmail!: string;

  @ApiPropertyOptional({
    description:
      "The service account's private_key from its JSON key file: the PEM, line breaks included (\\n as written in the file is accepted too). Required on first save; omit it to keep the stored one (only while hostname, port, TLS, username and serviceAccountEmail are unchanged). Never returned.",
    format: 'password',
    writeOnly: true,
    maxLength: 8192,
  })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? pemOf(value) : value))
  @IsOptional()
  @IsString({ message: 'privateKey must be a string' })
  @IsNotEmpty({ message: 'privateKey must not be empty (omit it to keep the stored one)' })
  @MaxLength(8192, { message: 'privateKey must be at most 8192 characters' })
  @IsRsaPrivateKey()
  privateKey?: string;
}

/** The key as pasted: from the JSON file its line breaks may be written as `\n`. */
function pemOf(value: string): string {
  return value.replace(/\\n/g, '\n').replace(/\r\n?/g, '\n');
}

/** An RSA private key in PEM, as Google writes into a service account's JSON key file. */
function IsRsaPrivateKey(): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isRsaPrivateKey',
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'string' || !value.includes('-----BEGIN ')) return false;
          try {
            return createPrivateKey(value).asymmetricKeyType === 'rsa';
          } catch {
            return false;
          }
        },
      },
    },
    {
      // Never the value: it is a secret.
      message:
        "privateKey must be the service account's private_key from its JSON key file (-----BEGIN PRIVATE KEY----- …)",
    },
  );
}
