import type { LoggerService } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { StoreUnavailableError } from '../errors/store-unavailable.error';
import {
  removeDeadSideFiles,
  sidePathFor,
  syncDirectory,
  writeDurably,
} from '../internal/durable-file';
import { codeOf } from '../internal/error-code';
import { messageOf } from '../internal/message-of';
import { parseEncryptionKey } from './secret-sealer';

export interface KeyFileOptions {
  /** The key file (keyFilePath). */
  keyFile: string;
  /** What holds the secrets the key seals, as error messages name it. */
  data: string;
  /**
   * A file that already holds sealed secrets, or undefined. A new key could never open them: every
   * save and verify would then fail, so a lost key file stops the start and the admin chooses.
   */
  findSealedSecrets: () => Promise<string | undefined>;
  /** Hears where a key file was generated; never the key. */
  logger: LoggerService;
}

/** Beside the data file, so that a backup of the directory holds both. */
export function keyFilePath(dataFile: string): string {
  const name = basename(dataFile);
  const stem = extname(name) === '.json' ? name.slice(0, -'.json'.length) : name;
  return join(dirname(dataFile), `${stem}.key`);
}

/**
 * The key in the key file, created (32 random bytes, base64, mode 0600) when there is none. Several
 * processes starting at once agree on one key.
 */
export async function loadOrCreateKeyFile(options: KeyFileOptions): Promise<Buffer> {
  const { keyFile, data, logger } = options;
  const existing = await readKeyFile(keyFile);
  if (existing) return existing;
  const sealed = await options.findSealedSecrets();
  if (sealed !== undefined) {
    throw new StoreUnavailableError(
      `the key file ${keyFile} is missing, but ${data} holds secrets sealed with it (first found in ${sealed}), so no new key was generated: ` +
        `restore ${keyFile} from a backup, or set the encryptionKey option to the key they were sealed with, ` +
        `or delete ${data} to start over (the SMTP settings must then be entered again)`,
    );
  }
  const dir = dirname(keyFile);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // What a process killed while generating a key left behind.
  await removeDeadSideFiles(keyFile);
  const key = randomBytes(32);
  // Written aside, then linked into place: the key file never exists half-written, and the link
  // fails with EEXIST when another process created it first (write-file-atomic would replace it).
  const temp = sidePathFor(keyFile, 'tmp');
  try {
    await writeDurably(temp, `${key.toString('base64')}\n`);
    await link(temp, keyFile);
    await syncDirectory(dir);
    logger.log(
      `Generated an encryption key at ${keyFile} (mode 0600). Back it up: without it the stored secrets cannot be opened.`,
    );
    return key;
  } catch (error) {
    if (codeOf(error) !== 'EEXIST') {
      throw new StoreUnavailableError(`${keyFile} could not be created (${messageOf(error)})`);
    }
  } finally {
    await unlink(temp).catch(() => undefined);
  }
  return (await readKeyFile(keyFile))!;
}

/** The key file's key, or undefined when there is no key file. */
async function readKeyFile(keyPath: string): Promise<Buffer | undefined> {
  let text: string;
  try {
    text = await readFile(keyPath, 'utf8');
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return undefined;
    throw new StoreUnavailableError(`${keyPath} cannot be read (${messageOf(error)})`);
  }
  try {
    return parseEncryptionKey(text, `the key file ${keyPath}`);
  } catch (error) {
    throw new StoreUnavailableError(
      `${messageOf(error)}; it was left untouched: restore it from a backup`,
    );
  }
}
