import type { LoggerService } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { StoreUnavailableError } from '../errors/store-unavailable.error';
import { sidePathFor, syncDirectory, writeDurably } from '../internal/durable-file';
import { codeOf } from '../internal/error-code';
import { messageOf } from '../internal/message-of';
import { parseEncryptionKey } from './secret-sealer';

export interface KeyFileOptions {
  /** The data file whose secrets the key seals. The key file is `<name>.key` beside it. */
  dataFile: string;
  /**
   * Whether the data file already holds sealed secrets. A new key could never open them: every save
   * and verify would then fail, so a lost key file stops the start and the admin chooses.
   */
  holdsSealedSecrets: () => Promise<boolean>;
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
 * The key in the key file beside the data file, created (32 random bytes, base64, mode 0600) when
 * there is none. Several processes starting at once agree on one key.
 */
export async function loadOrCreateKeyFile(options: KeyFileOptions): Promise<Buffer> {
  const { dataFile, logger } = options;
  const keyPath = keyFilePath(dataFile);
  const existing = await readKeyFile(keyPath);
  if (existing) return existing;
  if (await options.holdsSealedSecrets()) {
    throw new StoreUnavailableError(
      `the key file ${keyPath} is missing, but ${dataFile} holds secrets sealed with it, so no new key was generated: ` +
        `restore ${keyPath} from a backup, or set the encryptionKey option to the key they were sealed with, ` +
        `or delete ${dataFile} to start over (the SMTP settings must then be entered again)`,
    );
  }
  const dir = dirname(dataFile);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  // Written aside (named like the data file's temp files, so that the same cleanup finds it), then
  // linked into place: the key file never exists half-written, and the link fails with EEXIST when
  // another process created it first.
  const temp = sidePathFor(dataFile, 'tmp');
  try {
    await writeDurably(temp, `${key.toString('base64')}\n`);
    await link(temp, keyPath);
    await syncDirectory(dir);
    logger.log(
      `Generated an encryption key at ${keyPath} (mode 0600). Back it up: without it the stored secrets cannot be opened.`,
    );
    return key;
  } catch (error) {
    if (codeOf(error) !== 'EEXIST') {
      throw new StoreUnavailableError(`${keyPath} could not be created (${messageOf(error)})`);
    }
  } finally {
    await unlink(temp).catch(() => undefined);
  }
  return (await readKeyFile(keyPath))!;
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
