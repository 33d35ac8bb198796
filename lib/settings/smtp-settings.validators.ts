import { isFQDN, isIP, ValidateBy, type ValidationOptions } from 'class-validator';

/** A DNS name or an IP address: no scheme, path, port or spaces, which admins often paste by mistake. */
export function isSmtpHostname(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  return isIP(value) || isFQDN(value, { require_tld: false, allow_underscores: false });
}

export function IsSmtpHostname(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    { name: 'isSmtpHostname', validator: { validate: isSmtpHostname } },
    {
      message: 'hostname must be a DNS name or an IP address (no scheme, path, port or spaces)',
      ...options,
    },
  );
}

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
