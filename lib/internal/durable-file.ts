import { randomBytes } from 'node:crypto';
import { open, readdir, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isAlive } from './process-alive';

/**
 * A hidden file beside `path` that names this process, so that a later writer can tell whether the
 * one that left it behind is still alive: `.<name>.<pid>.<nonce>.<suffix>`.
 */
export function sidePathFor(path: string, suffix: string): string {
  const nonce = randomBytes(6).toString('hex');
  return join(dirname(path), `.${basename(path)}.${process.pid}.${nonce}.${suffix}`);
}

/**
 * Removes the side files of `path` (sidePathFor) that processes which have exited left behind.
 * Only those of dead processes: live ones still need theirs.
 */
export async function removeDeadSideFiles(path: string): Promise<void> {
  const dir = dirname(path);
  const prefix = `.${basename(path)}.`;
  const names = await readdir(dir).catch(() => []);
  for (const name of names) {
    // Those of `path` and of its own side files (`<path>.lock` moved aside, say).
    const match = /\.(\d+)\.[0-9a-f]{12}\.[a-z]+$/.exec(name);
    if (name.startsWith(prefix) && match && !isAlive(Number(match[1]))) {
      await unlink(join(dir, name)).catch(() => undefined);
    }
  }
}

/**
 * Creates `path` (mode 0600; it must not exist) with `text`, and flushes it to disk. For files that
 * must never be replaced (a key file is linked into place from it); write-file-atomic replaces.
 */
export async function writeDurably(path: string, text: string): Promise<void> {
  const file = await open(path, 'wx', 0o600);
  try {
    await file.writeFile(text);
    await file.sync();
  } finally {
    await file.close();
  }
}

/**
 * Makes a rename or link durable: until the directory is flushed, a power cut can lose the new
 * name even though the file's data reached the disk. Best effort: some platforms cannot open a
 * directory.
 */
export async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // The rename itself succeeded; only its durability across a power cut is at stake.
  }
}
