import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * A hidden file beside `path` that names this process, so that a later writer can tell whether the
 * one that left it behind is still alive: `.<name>.<pid>.<nonce>.<suffix>`.
 */
export function sidePathFor(path: string, suffix: string): string {
  const nonce = randomBytes(6).toString('hex');
  return join(dirname(path), `.${basename(path)}.${process.pid}.${nonce}.${suffix}`);
}

/** Creates `path` (mode 0600; it must not exist) with `text`, and flushes it to disk. */
export async function writeDurably(path: string, text: string): Promise<void> {
  const file = await open(path, 'wx', 0o600);
  try {
    await file.writeFile(text);
    await file.sync();
  } finally {
    await file.close();
  }
}

/** Makes a rename or link durable. Best effort: some platforms cannot open a directory. */
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
