import {
  isFQDN,
  IsDefined,
  IsNotEmpty,
  IsOptional,
  IsString,
  MaxLength,
  ValidateBy,
  type ValidationOptions,
} from 'class-validator';
import { ApiProperty, ApiPropertyOptional } from '../../internal/api-property';
import { fieldRules } from '../../settings/validation/settings-fields.dto';

/*
 * The fields of an Entra ID app, which Microsoft 365 settings share over SMTP and Graph alike, as
 * composed decorators whose messages name the field as the admin sees it.
 */

/**
 * Any 8-4-4-4-12 hex GUID, as Entra ID accepts: its ids need not carry RFC 4122 version and variant
 * nibbles, which class-validator's isUUID('all') insists on.
 */
export function isGuid(value: unknown): boolean {
  return typeof value === 'string' && /^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/i.test(value);
}

export function IsGuid(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isGuid',
      validator: { validate: isGuid },
    },
    options,
  );
}

/** A Directory (tenant) ID, or one of the tenant's verified domains such as contoso.onmicrosoft.com. */
export function IsTenantId(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isTenantId',
      validator: {
        validate: (v: unknown) => isGuid(v) || (typeof v === 'string' && isFQDN(v)),
      },
    },
    {
      message:
        'tenantId must be a GUID (the Directory (tenant) ID) or a verified domain such as contoso.onmicrosoft.com',
      ...options,
    },
  );
}

export const ClientIdField = (): PropertyDecorator =>
  fieldRules(
    ApiProperty({
      description:
        'The Application (client) ID registered in Microsoft Entra ID (formerly Azure Active Directory).',
      format: 'uuid',
      example: '00000000-0000-0000-0000-000000000000',
    }),
    IsDefined({ message: 'clientId is required' }),
    IsString({ message: 'clientId must be a string' }),
    IsGuid({ message: 'clientId must be a GUID (the Application (client) ID)' }),
  );

/** The Entra ID client secret; `keptWhile` names the fields whose change asks for it again. */
export const ClientSecretField = (keptWhile: string): PropertyDecorator =>
  fieldRules(
    ApiPropertyOptional({
      description: `The client secret from the Azure portal, or clientCertificate instead (exactly one of the two on first save). Omit both to keep the stored credential (only while ${keptWhile} are unchanged). Never returned.`,
      format: 'password',
      writeOnly: true,
      maxLength: 1024,
    }),
    IsOptional(),
    IsString({ message: 'clientSecret must be a string' }),
    IsNotEmpty({ message: 'clientSecret must not be empty (omit it to keep the stored one)' }),
    MaxLength(1024, { message: 'clientSecret must be at most 1024 characters' }),
  );

export const TenantIdField = (): PropertyDecorator =>
  fieldRules(
    ApiProperty({
      description:
        'The Directory (tenant) ID, or a verified domain such as contoso.onmicrosoft.com.',
      example: 'contoso.onmicrosoft.com',
      maxLength: 253,
    }),
    IsDefined({ message: 'tenantId is required' }),
    IsString({ message: 'tenantId must be a string' }),
    MaxLength(253, { message: 'tenantId must be at most 253 characters' }),
    IsTenantId(),
  );
