import { readFile, readdir, unlink } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { StoreUnavailableError } from '../../errors/store-unavailable.error';
import { removeDeadSideFiles, syncDirectory } from '../../internal/durable-file';
import { codeOf } from '../../internal/error-code';
import { messageOf } from '../../internal/message-of';
import { assertTenantId } from '../../settings/tenant-id';
import { formatTenantFile, holdsSealedSecrets, parseTenantFile } from './stored-tenant.format';
import type { StoredTenant } from './stored-tenant.format';

/**
 * The directory of the tenant files: the data file's name without `.json`
 * (`.data/smtp-settings.json` → `.data/smtp-settings/`), so that the key file, the data file of
 * 0.1.0 and the tenant files sit together and one backup of the directory holds them all.
 */
export function tenantDirFor(dataFile: string): string {
  const name = basename(dataFile);
  const stem = extname(name) === '.json' ? name.slice(0, -'.json'.length) : `${name}.d`;
  return join(dirname(dataFile), stem);
}

/**
 * A tenant's file name: the hex of its id, then `.json` (`acme` → `61636d65.json`). Never the id
 * itself: hex has no dot, slash or reserved device name (`CON`, `NUL`), and no two ids differ only
 * in case, which on a case-insensitive file system (macOS, Windows) would share a file; base64url
 * would not be safe there. A 64-character id gives 133 characters, within every file system's limit.
 */
export function tenantFileName(tenant: string): string {
  return `${Buffer.from(assertTenantId(tenant, 'the tenant'), 'utf8').toString('hex')}.json`;
}

/** The tenant of a file name, or undefined for any other file (temp files, locks, strays). */
export function tenantOfFileName(name: string): string | undefined {
  const match = /^((?:[0-9a-f]{2}){1,64})\.json$/.exec(name);
  if (!match) return undefined;
  const tenant = Buffer.from(match[1]!, 'hex').toString('utf8');
  try {
    return tenantFileName(tenant) === name ? tenant : undefined;
  } catch {
    return undefined;
  }
}

/** The tenant's record and history; undefined when it has no file. A file it cannot read is an error. */
export function readTenantFile(path: string, tenant: string): Promise<StoredTenant | undefined> {
  return readSettingsFile(path, (text) => parseTenantFile(text, tenant));
}

/**
 * A settings file parsed (a tenant file, or the data file of 0.1.0); undefined when there is none.
 * A file that cannot be read or parsed is an error naming it, and it is left untouched.
 */
export async function readSettingsFile<T>(
  path: string,
  parse: (text: string) => T,
): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return undefined;
    throw new StoreUnavailableError(`${path} cannot be read (${messageOf(error)})`);
  }
  try {
    return parse(text);
  } catch (error) {
    throw new StoreUnavailableError(
      `${path} is not a valid settings file (${messageOf(error)}); it was left untouched: restore it from a backup or move it away`,
    );
  }
}

/**
 * Replaces the tenant's file: a crash leaves the old file or the new one, never a mix.
 * write-file-atomic writes a temp file, flushes it and renames it into place; it does not flush the
 * directory, so the rename could be lost in a power cut after the store said "saved": that one
 * step is done here.
 */
export async function writeTenantFile(path: string, stored: StoredTenant): Promise<void> {
  try {
    await writeFileAtomic(path, formatTenantFile(stored), { mode: 0o600 });
  } catch (error) {
    throw new StoreUnavailableError(`${path} could not be written (${messageOf(error)})`);
  }
  await syncDirectory(dirname(path));
}

/**
 * What a writer of `path` that died mid-change left: write-file-atomic's temp files
 * (`<name>.<number>`, which do not say whose they are) and stale locks moved aside. Called only by
 * the holder of the tenant's lock, after it took over a dead writer's lock: no live writer of this
 * tenant can own a temp file then.
 */
export async function removeWriteLeftovers(path: string): Promise<void> {
  const dir = dirname(path);
  const temp = new RegExp(`^${basename(path).replace(/\./g, '\\.')}\\.\\d+$`);
  const names = await readdir(dir).catch(() => []);
  for (const name of names) {
    if (temp.test(name)) await unlink(join(dir, name)).catch(() => undefined);
  }
  await removeDeadSideFiles(path);
}

/**
 * The first tenant file that holds a sealed secret, or undefined. Reads every tenant file: only a
 * start without a key file calls it, to refuse a new key that could not open those secrets.
 */
export async function findSealedSecrets(dir: string): Promise<string | undefined> {
  const names = await readdir(dir).catch((error: unknown) => {
    if (codeOf(error) === 'ENOENT') return [];
    throw new StoreUnavailableError(`${dir} cannot be read (${messageOf(error)})`);
  });
  for (const name of names) {
    const tenant = tenantOfFileName(name);
    if (tenant === undefined) continue;
    const stored = await readTenantFile(join(dir, name), tenant);
    if (stored && holdsSealedSecrets(stored)) return join(dir, name);
  }
  return undefined;
}
