import { createHash } from 'node:crypto';
import { InvalidTenantError } from '../errors/invalid-tenant.error';
import { assertTenantId } from './tenant-id';

/**
 * The store tenant of a tenant's backup connection: `backup.` and 40 hex digits of the SHA-256 of
 * the tenant id. It is a valid tenant id itself (so every store, the file store's file names
 * included, keeps it unchanged, and replicas hear of it through `watch`), 47 characters whatever
 * the tenant's length, and reserved: `TenantSettings` refuses it as a tenant, so no tenant can
 * read or overwrite another's backup through the main routes.
 */
export function backupTenantOf(tenant: string): string {
  return `backup.${createHash('sha256').update(tenant, 'utf8').digest('hex').slice(0, 40)}`;
}

const BACKUP_TENANT = /^backup\.[0-9a-f]{40}$/;

/** Whether a store tenant is a backup connection's, never a served tenant. */
export function isBackupTenant(tenant: string): boolean {
  return BACKUP_TENANT.test(tenant);
}

/**
 * `assertTenantId`, and not a backup connection's store tenant: what every tenant the module serves
 * passes before anything reaches a store or a sealed secret's binding.
 */
export function assertServedTenantId(id: unknown, source: string): string {
  const tenant = assertTenantId(id, source);
  if (isBackupTenant(tenant)) {
    throw new InvalidTenantError(`${source} is reserved for backup connections: ${tenant}`);
  }
  return tenant;
}
