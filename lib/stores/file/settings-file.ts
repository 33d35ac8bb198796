import { readFile, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { StoreUnavailableError } from '../../errors/store-unavailable.error';
import { sidePathFor, syncDirectory, writeDurably } from '../../internal/durable-file';
import { codeOf } from '../../internal/error-code';
import { messageOf } from '../../internal/message-of';
import { holdsSealedSecrets, parseSettingsFile, formatSettingsFile } from './settings-file.format';
import type { Scopes } from './settings-file.format';
import { isAlive } from './process-alive';

/** The scopes in the data file; none when there is no file. A file it cannot read is an error. */
export async function readSettingsFile(path: string): Promise<Scopes> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return new Map();
    throw new StoreUnavailableError(`${path} cannot be read (${messageOf(error)})`);
  }
  try {
    return parseSettingsFile(text);
  } catch (error) {
    throw new StoreUnavailableError(
      `${path} is not a valid settings file (${messageOf(error)}); it was left untouched: restore it from a backup or move it away`,
    );
  }
}

/** Temp file, fsync, rename, fsync the directory: a crash leaves the old file or the new one. */
export async function writeSettingsFile(path: string, scopes: Scopes): Promise<void> {
  const temp = sidePathFor(path, 'tmp');
  try {
    await writeDurably(temp, formatSettingsFile(scopes));
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw new StoreUnavailableError(`${path} could not be written (${messageOf(error)})`);
  }
  await syncDirectory(dirname(path));
}

/** Whether the data file holds secrets sealed with a key: a new key could never open them. */
export async function settingsFileHoldsSealedSecrets(path: string): Promise<boolean> {
  return holdsSealedSecrets(await readSettingsFile(path));
}

/**
 * Side files (temp files, stale locks moved aside) of writers that died mid-change. Only those of
 * dead processes: live ones still need theirs.
 */
export async function removeLeftovers(path: string): Promise<void> {
  const dir = dirname(path);
  const prefix = `.${basename(path)}.`;
  const names = await readdir(dir).catch(() => []);
  for (const name of names) {
    const match = /\.(\d+)\.[0-9a-f]+\.(?:tmp|stale)$/.exec(name);
    if (name.startsWith(prefix) && match && !isAlive(Number(match[1]))) {
      await unlink(join(dir, name)).catch(() => undefined);
    }
  }
}
