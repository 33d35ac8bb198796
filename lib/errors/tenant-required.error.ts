import { SmtpSettingsError } from './smtp-settings.error';

/**
 * A request for which the `tenant` option found no valid tenant: nothing is read or changed. The
 * caller is authenticated, but administers no tenant that the server can name.
 */
export class TenantRequiredError extends SmtpSettingsError {
  readonly code = 'TENANT_REQUIRED';

  constructor(reason = 'the tenant option found none for the authenticated caller') {
    super(`This request has no tenant: ${reason}`);
  }
}
