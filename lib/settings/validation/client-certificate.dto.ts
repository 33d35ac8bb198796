import { Transform } from 'class-transformer';
import { IsDefined, IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { ApiProperty, ApiPropertyOptional } from '../../internal/api-property';

/** A PEM as pasted: from a JSON file its line breaks may be written as `\n`. */
export function pemOf(value: string): string {
  return value.replace(/\\n/g, '\n').replace(/\r\n?/g, '\n');
}

const toPem = Transform(({ value }: { value: unknown }) =>
  typeof value === 'string' ? pemOf(value) : value,
);

/**
 * An Entra ID app's certificate credential (`clientCertificate` of Microsoft settings): the
 * certificate uploaded to the app registration, and its private key. The formats are checked here;
 * what the two say together (the key belongs to the certificate, its size, the expiry) in
 * `checkClientCertificate`.
 */
export class ClientCertificateDto {
  @ApiProperty({
    description:
      'The certificate in PEM (-----BEGIN CERTIFICATE----- …), as uploaded to the app registration (Certificates & secrets, Certificates), line breaks included (\\n as written in a JSON file is accepted too). Its subject, SHA-256 thumbprint and expiry are shown in GET.',
    example: '-----BEGIN CERTIFICATE-----\nMIIC…\n-----END CERTIFICATE-----\n',
    maxLength: 16384,
  })
  @toPem
  @IsDefined({ message: 'clientCertificate.certificate is required' })
  @IsString({ message: 'clientCertificate.certificate must be a string' })
  @IsNotEmpty({ message: 'clientCertificate.certificate must not be empty' })
  @MaxLength(16384, { message: 'clientCertificate.certificate must be at most 16384 characters' })
  certificate!: string;

  @ApiProperty({
    description:
      "The certificate's RSA private key (2048 bits or more) in PEM, PKCS#8 (-----BEGIN PRIVATE KEY-----) or PKCS#1 (-----BEGIN RSA PRIVATE KEY-----), without a passphrase; line breaks included (\\n accepted). Never returned.",
    format: 'password',
    writeOnly: true,
    maxLength: 16384,
  })
  @toPem
  @IsDefined({ message: 'clientCertificate.privateKey is required' })
  @IsString({ message: 'clientCertificate.privateKey must be a string' })
  @IsNotEmpty({ message: 'clientCertificate.privateKey must not be empty' })
  @MaxLength(16384, { message: 'clientCertificate.privateKey must be at most 16384 characters' })
  privateKey!: string;
}

/** `clientCertificate` of Microsoft settings; `keptWhile` names the fields whose change asks for it again. */
export const ClientCertificateField = (keptWhile: string): PropertyDecorator =>
  ApiPropertyOptional({
    type: ClientCertificateDto,
    description: `The app's certificate and its private key, instead of clientSecret (exactly one of the two). Omit both to keep the stored credential (only while ${keptWhile} are unchanged). GET shows the certificate's subject, thumbprintSha256 and notAfter, never the key.`,
  });
