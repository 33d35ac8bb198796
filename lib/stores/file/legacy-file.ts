import { link, mkdir, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { StoreUnavailableError } from '../../errors/store-unavailable.error';
import { removeDeadSideFiles, syncDirectory } from '../../internal/durable-file';
import { codeOf } from '../../internal/error-code';
import { messageOf } from '../../internal/message-of';
import { FileLock } from './file-lock';
import { parseLegacyFile } from './stored-tenant.format';
import { readSettingsFile, readTenantFile, tenantFileName, writeTenantFile } from './tenant-files';

/**
 * Splits the single data file that 0.1.0 wrote (every tenant in one document) into tenant files,
 * once, then keeps it as `<file>.migrated`. Several processes may start at once: the one that holds
 * the lock migrates, under the lock file 0.1.0 used for its writes, and the others find the file gone.
 * A crash before the rename leaves the data file, so the next start migrates again; a tenant file
 * that exists by then is kept (it is this migration's, or newer). A data file it cannot read stops
 * the migration before anything is written, and is left as it is.
 */
export async function migrateLegacyFile(path: string, dir: string): Promise<void> {
  if (!(await exists(path))) return;
  await new FileLock(path, () => removeDeadSideFiles(path)).run(async () => {
    // Checked again under the lock: another process may have migrated it meanwhile.
    const tenants = await readSettingsFile(path, parseLegacyFile);
    if (!tenants) return;
    for (const tenant of tenants.keys()) checkTenant(path, tenant);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    for (const [tenant, stored] of tenants) {
      const file = join(dir, tenantFileName(tenant));
      if (!(await readTenantFile(file, tenant))) await writeTenantFile(file, stored);
    }
    await keepAsBackup(path);
  });
  // The temp files of a 0.1.0 writer that died, named after the data file.
  await removeDeadSideFiles(path);
}

/** 0.1.0 took any name for a tenant; a tenant file needs a valid tenant id. */
function checkTenant(path: string, tenant: string): void {
  try {
    tenantFileName(tenant);
  } catch (error) {
    throw new StoreUnavailableError(
      `${path} cannot be migrated to one file per tenant: ${messageOf(error)}; it was left untouched: ` +
        'rename that tenant under "scopes" in the file to a valid tenant id (and set defaultTenant to it)',
    );
  }
}

/**
 * Renames the data file to `<file>.migrated`, or `.migrated.2`, ... when an earlier backup holds
 * that name: a backup is never replaced. A link then an unlink, since a rename would replace it.
 */
async function keepAsBackup(path: string): Promise<void> {
  for (let n = 1; ; n++) {
    const backup = `${path}.migrated${n === 1 ? '' : `.${n}`}`;
    try {
      await link(path, backup);
      break;
    } catch (error) {
      if (codeOf(error) === 'EEXIST') continue;
      throw new StoreUnavailableError(
        `${path} was migrated, but could not be renamed to ${backup} (${messageOf(error)}); move it away`,
      );
    }
  }
  await unlink(path);
  await syncDirectory(dirname(path));
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return false;
    throw new StoreUnavailableError(`${path} cannot be read (${messageOf(error)})`);
  }
}
