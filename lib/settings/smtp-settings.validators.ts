import { isFQDN, isIP, isUUID, ValidateBy, type ValidationOptions } from 'class-validator';

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

/** Entra ID prints ids as GUIDs of any version. */
export function IsGuid(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isGuid',
      validator: { validate: (v: unknown) => typeof v === 'string' && isUUID(v, 'all') },
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
        validate: (v: unknown) => typeof v === 'string' && (isUUID(v, 'all') || isFQDN(v)),
      },
    },
    {
      message:
        'tenantId must be a GUID (the Directory (tenant) ID) or a verified domain such as contoso.onmicrosoft.com',
      ...options,
    },
  );
}
