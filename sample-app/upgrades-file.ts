import { assertTenantId } from '../lib';
import { DEFAULT_TENANT } from './admin-tokens.config';
import { SampleConfigError } from './sample-config.error';

/**
 * The installed upgrades per tenant in DATA_DIR/upgrades.json: `{ "tenants": { "acme":
 * ["smtp-oauth"] } }`. The single-tenant shape of earlier versions, `{ "installed": [...] }`, is
 * read as the default tenant's (and written in the new shape at the next change).
 */
export function parseUpgradesFile(text: string, file: string): Record<string, string[]> {
  const invalid = (why: string) =>
    new SampleConfigError(
      `${file} is not a valid upgrade state (${why}; expected { "tenants": { "acme": ["smtp-oauth"] } }): ` +
        'fix it, or delete it to start from INSTALLED_UPGRADES',
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid('not JSON');
  }
  const document = (parsed ?? {}) as { installed?: unknown; tenants?: unknown };
  if (document.tenants === undefined && isIdList(document.installed)) {
    return { [DEFAULT_TENANT]: document.installed };
  }
  const tenants = document.tenants;
  if (typeof tenants !== 'object' || tenants === null || Array.isArray(tenants)) {
    throw invalid('"tenants" must be an object');
  }
  const result: Record<string, string[]> = {};
  for (const [tenant, ids] of Object.entries(tenants)) {
    try {
      assertTenantId(tenant, 'a tenant in "tenants"');
    } catch (error) {
      throw invalid((error as Error).message);
    }
    if (!isIdList(ids)) throw invalid(`the upgrades of tenant ${tenant} must be a list of ids`);
    result[tenant] = ids;
  }
  return result;
}

function isIdList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((id) => typeof id === 'string');
}
