import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { InvalidTenantError } from '../errors/invalid-tenant.error';
import { TenantRequiredError } from '../errors/tenant-required.error';
import type {
  SmtpSettingsModuleOptions,
  SmtpSettingsRequest,
} from '../options/smtp-settings-options.interface';
import { SMTP_SETTINGS_OPTION_DEFAULTS } from '../options/smtp-settings.defaults';
import { assertServedTenantId } from '../settings/backup-tenant';

/** Where `SmtpSettingsAccessGuard` leaves the tenant of a request, once the app's guards passed. */
const REQUEST_TENANT = Symbol('SMTP_SETTINGS:REQUEST_TENANT');

type TenantCarrier = { [REQUEST_TENANT]?: string };

/**
 * The tenant a request administers: the `tenant` option's answer, or `defaultTenant` without it.
 * No tenant, or an id that is not valid, is `TenantRequiredError` (403): the server's resolver
 * named no tenant it may use, so nothing is read or changed. Never a 400 or a 500: the caller's
 * body is not at fault.
 */
export async function resolveRequestTenant(
  options: SmtpSettingsModuleOptions,
  req: SmtpSettingsRequest,
): Promise<string> {
  const fallback = options.defaultTenant ?? SMTP_SETTINGS_OPTION_DEFAULTS.defaultTenant;
  const id = options.tenant ? await options.tenant(req) : fallback;
  if (id === undefined || id === null || id === '') throw new TenantRequiredError();
  let tenant: string;
  try {
    tenant = assertServedTenantId(id, 'the id that the tenant option returned');
  } catch (error) {
    if (!(error instanceof InvalidTenantError)) throw error;
    throw new TenantRequiredError(error.message);
  }
  (req as TenantCarrier)[REQUEST_TENANT] = tenant;
  return tenant;
}

/** The tenant that `resolveRequestTenant` found for this request. */
export function tenantOfRequest(req: object): string {
  const tenant = (req as TenantCarrier)[REQUEST_TENANT];
  // Every route runs the access guard first; a route without it must not guess a tenant.
  if (tenant === undefined) throw new TenantRequiredError('no tenant was resolved for this route');
  return tenant;
}

/** The tenant of the request, for a handler behind `SmtpSettingsAccessGuard`. */
export const RequestTenant = createParamDecorator(
  (_data: unknown, context: ExecutionContext): string =>
    tenantOfRequest(context.switchToHttp().getRequest<object>()),
);
