import { Logger } from '@nestjs/common';
import type { LoggerService } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { mkdirSync, watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { link, mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isSealedSecret, parseEncryptionKey } from '../crypto/secret-sealer';
import { SettingsStoreError } from '../errors/settings-store.error';
import { nextVersion } from './next-version';
import type { SealedSmtpSettings } from '../interfaces/smtp-settings.types';
import type {
  SmtpSettingsAction,
  SmtpSettingsChange,
  SmtpSettingsHistoryEntry,
  SmtpSettingsRecord,
  SmtpSettingsStore,
} from '../interfaces/smtp-settings-store.interface';

const FORMAT = 1;
const LOCK_TIMEOUT_MS = 5_000;
/** Writes take milliseconds, so a lock this old belongs to a writer that hung. */
const STALE_LOCK_MS = 30_000;
/** A lock file is written right after it is created; one still empty after this was abandoned. */
const EMPTY_LOCK_MS = 1_000;
const WATCH_DEBOUNCE_MS = 20;

export interface FileSmtpSettingsStoreOptions {
  /** The JSON data file. Its directory is created with mode 0700 when missing. */
  path: string;
  /**
   * How many history entries to keep per scope.
   * @default 100
   */
  historyLimit?: number;
  /**
   * Receives the notice that a key file was generated, and errors while following changes.
   * @default a Nest `Logger`
   */
  logger?: LoggerService;
}

interface StoredScope extends SmtpSettingsRecord {
  history: SmtpSettingsHistoryEntry[];
}

/** Scopes as a Map, so that a scope named like an `Object.prototype` member stays plain data. */
type Scopes = Map<string, StoredScope>;

/**
 * The embedded default store: one JSON file, replaced atomically on every change, with a lock file so
 * that several processes on one machine can share it. A file it cannot read is never overwritten.
 */
export class FileSmtpSettingsStore implements SmtpSettingsStore {
  readonly path: string;
  /** Beside the data file, so that a backup of the directory holds both. */
  readonly keyPath: string;
  private readonly dir: string;
  private readonly lockPath: string;
  private readonly historyLimit: number;
  private readonly logger: LoggerService;
  private queue: Promise<unknown> = Promise.resolve();
  private key?: Promise<Buffer>;
  private readonly listeners = new Map<string, Set<(version: number) => void>>();
  private readonly seen = new Map<string, number>();
  private watcher?: FSWatcher;
  private debounce?: NodeJS.Timeout;
  private checking: Promise<void> = Promise.resolve();

  constructor(options: FileSmtpSettingsStoreOptions) {
    this.path = resolve(options.path);
    this.dir = dirname(this.path);
    const name = basename(this.path);
    const stem = extname(name) === '.json' ? name.slice(0, -'.json'.length) : name;
    this.keyPath = join(this.dir, `${stem}.key`);
    this.lockPath = `${this.path}.lock`;
    this.historyLimit = options.historyLimit ?? 100;
    this.logger = options.logger ?? new Logger(FileSmtpSettingsStore.name);
  }

  async get(scope: string): Promise<SmtpSettingsRecord | null> {
    const stored = (await this.read()).get(scope);
    return stored ? toRecord(stored) : null;
  }

  put(
    scope: string,
    settings: SealedSmtpSettings,
    change: SmtpSettingsChange,
    expectedVersion?: number,
  ): Promise<SmtpSettingsRecord> {
    return this.change(scope, 'update', settings, change, expectedVersion);
  }

  delete(
    scope: string,
    change: SmtpSettingsChange,
    expectedVersion?: number,
  ): Promise<SmtpSettingsRecord> {
    return this.change(scope, 'reset', null, change, expectedVersion);
  }

  async history(scope: string, limit?: number): Promise<SmtpSettingsHistoryEntry[]> {
    const history = (await this.read()).get(scope)?.history ?? [];
    return limit === undefined ? history : history.slice(0, Math.max(0, limit));
  }

  /** Follows the directory, not the file: every write replaces the file, which ends a file watch. */
  watch(scope: string, listener: (version: number) => void): () => void {
    let set = this.listeners.get(scope);
    if (!set) this.listeners.set(scope, (set = new Set()));
    set.add(listener);
    this.startWatching();
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(scope) === set) {
        this.listeners.delete(scope);
        this.seen.delete(scope);
      }
      if (this.listeners.size === 0) this.stopWatching();
    };
  }

  defaultEncryptionKey(): Promise<Buffer> {
    this.key ??= this.loadOrCreateKey().catch((error: unknown) => {
      this.key = undefined;
      throw error;
    });
    return this.key.then((key) => Buffer.from(key));
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.stopWatching();
    await Promise.all([this.checking, this.queue]);
  }

  private change(
    scope: string,
    action: SmtpSettingsAction,
    settings: SealedSmtpSettings | null,
    change: SmtpSettingsChange,
    expectedVersion: number | undefined,
  ): Promise<SmtpSettingsRecord> {
    return this.serialize(() =>
      this.withLock(async () => {
        // Read under the lock: the version check and the write must see the same file.
        const scopes = await this.read();
        const current = scopes.get(scope);
        const { record, history } = nextVersion(
          scope,
          action,
          settings,
          change,
          current,
          expectedVersion,
          this.historyLimit,
        );
        scopes.set(scope, { ...record, history });
        await this.write(scopes);
        return structuredClone(record);
      }),
    );
  }

  private async read(): Promise<Scopes> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return new Map();
      throw new SettingsStoreError(`${this.path} cannot be read (${messageOf(error)})`);
    }
    try {
      return parseSettingsFile(text);
    } catch (error) {
      throw new SettingsStoreError(
        `${this.path} is not a valid settings file (${messageOf(error)}); it was left untouched: restore it from a backup or move it away`,
      );
    }
  }

  /** Temp file, fsync, rename, fsync the directory: a crash leaves the old file or the new one. */
  private async write(scopes: Scopes): Promise<void> {
    const text = `${JSON.stringify({ format: FORMAT, scopes: Object.fromEntries(scopes) }, null, 2)}\n`;
    const temp = this.tempPath();
    try {
      await writeDurably(temp, text);
      await rename(temp, this.path);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw new SettingsStoreError(`${this.path} could not be written (${messageOf(error)})`);
    }
    await syncDirectory(this.dir);
  }

  /** One change at a time within the process; the lock file orders processes. */
  private serialize<T>(task: () => Promise<T>): Promise<T> {
    const result = this.queue.then(task);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async withLock<T>(task: () => Promise<T>): Promise<T> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const lock = await this.acquireLock();
    try {
      return await task();
    } finally {
      // Only our own lock: if it was judged stale and replaced, the new holder keeps theirs.
      const info = await stat(this.lockPath).catch(() => undefined);
      if (info?.ino === lock) await unlink(this.lockPath).catch(() => undefined);
    }
  }

  /** Returns the inode of the lock file it created. */
  private async acquireLock(): Promise<number> {
    const deadline = Date.now() + LOCK_TIMEOUT_MS;
    for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
      const lock = await this.tryLock();
      if (lock !== undefined) return lock;
      if (await this.removeStaleLock()) {
        // A writer died mid-change: what it left behind is garbage now.
        await this.removeLeftovers();
        continue;
      }
      if (Date.now() >= deadline) {
        const holder = await this.inspectLock().catch(() => undefined);
        const by = holder?.pid
          ? `process ${holder.pid} on ${holder.host ?? 'this machine'}`
          : 'a process';
        throw new SettingsStoreError(
          `${this.path} stayed locked for ${LOCK_TIMEOUT_MS / 1000} s by ${by}; if no process is writing settings, remove ${this.lockPath}`,
        );
      }
      await sleep(delay * (0.5 + Math.random()));
    }
  }

  private async tryLock(): Promise<number | undefined> {
    let file: FileHandle;
    try {
      file = await open(this.lockPath, 'wx', 0o600);
    } catch (error) {
      if (codeOf(error) === 'EEXIST') return undefined;
      throw new SettingsStoreError(`${this.lockPath} could not be created (${messageOf(error)})`);
    }
    try {
      await file.writeFile(`${process.pid}\n${hostname()}\n`);
      return (await file.stat()).ino;
    } catch (error) {
      await unlink(this.lockPath).catch(() => undefined);
      throw new SettingsStoreError(`${this.lockPath} could not be written (${messageOf(error)})`);
    } finally {
      await file.close();
    }
  }

  /** Removes the lock of a writer that died or hung. True when the caller should retry at once. */
  private async removeStaleLock(): Promise<boolean> {
    const lock = await this.inspectLock();
    // Gone already: its holder finished.
    if (!lock) return true;
    const age = Date.now() - lock.mtimeMs;
    // A pid means nothing in another pid namespace (a container sharing the volume): age decides.
    const local = lock.host === undefined || lock.host === hostname();
    const stale =
      age > STALE_LOCK_MS ||
      (lock.pid === undefined ? age > EMPTY_LOCK_MS : local && !isAlive(lock.pid));
    if (!stale) return false;
    // Moved aside rather than deleted: if another writer replaced it since we looked, the inode
    // tells, and their lock goes back in place.
    const aside = join(this.dir, `.${basename(this.lockPath)}.${process.pid}.${nonce()}.stale`);
    try {
      await rename(this.lockPath, aside);
    } catch {
      return true;
    }
    const moved = await stat(aside).catch(() => undefined);
    if (moved && moved.ino !== lock.ino) await link(aside, this.lockPath).catch(() => undefined);
    await unlink(aside).catch(() => undefined);
    return true;
  }

  private async inspectLock(): Promise<
    { ino: number; mtimeMs: number; pid?: number; host?: string } | undefined
  > {
    let file: FileHandle;
    try {
      file = await open(this.lockPath, 'r');
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return undefined;
      throw new SettingsStoreError(`${this.lockPath} cannot be read (${messageOf(error)})`);
    }
    try {
      // One handle for both, so that the pid and the inode belong to the same lock file.
      const { ino, mtimeMs } = await file.stat();
      const [pidLine = '', host] = (await file.readFile('utf8')).split('\n');
      const pid = Number(pidLine.trim());
      return {
        ino,
        mtimeMs,
        pid: Number.isSafeInteger(pid) && pid > 0 ? pid : undefined,
        host: host?.trim() || undefined,
      };
    } finally {
      await file.close();
    }
  }

  /** Temp files of writers that died mid-write. Only those of dead processes: live ones still need theirs. */
  private async removeLeftovers(): Promise<void> {
    const prefix = `.${basename(this.path)}.`;
    const names = await readdir(this.dir).catch(() => []);
    for (const name of names) {
      const match = /\.(\d+)\.[0-9a-f]+\.(?:tmp|stale)$/.exec(name);
      if (name.startsWith(prefix) && match && !isAlive(Number(match[1]))) {
        await unlink(join(this.dir, name)).catch(() => undefined);
      }
    }
  }

  private tempPath(): string {
    return join(this.dir, `.${basename(this.path)}.${process.pid}.${nonce()}.tmp`);
  }

  private async loadOrCreateKey(): Promise<Buffer> {
    const existing = await this.readKey();
    if (existing) return existing;
    await this.refuseNewKeyForSealedSecrets();
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const key = randomBytes(32);
    // Written aside, then linked into place: the key file never exists half-written, and the link
    // fails with EEXIST when another process created it first.
    const temp = this.tempPath();
    try {
      await writeDurably(temp, `${key.toString('base64')}\n`);
      await link(temp, this.keyPath);
      await syncDirectory(this.dir);
      this.logger.log(
        `Generated an encryption key at ${this.keyPath} (mode 0600). Back it up: without it the stored secrets cannot be opened.`,
      );
      return key;
    } catch (error) {
      if (codeOf(error) !== 'EEXIST') {
        throw new SettingsStoreError(`${this.keyPath} could not be created (${messageOf(error)})`);
      }
    } finally {
      await unlink(temp).catch(() => undefined);
    }
    return (await this.readKey())!;
  }

  /** The key file's key, or undefined when there is no key file. */
  private async readKey(): Promise<Buffer | undefined> {
    let text: string;
    try {
      text = await readFile(this.keyPath, 'utf8');
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return undefined;
      throw new SettingsStoreError(`${this.keyPath} cannot be read (${messageOf(error)})`);
    }
    try {
      return parseEncryptionKey(text, `the key file ${this.keyPath}`);
    } catch (error) {
      throw new SettingsStoreError(
        `${messageOf(error)}; it was left untouched: restore it from a backup`,
      );
    }
  }

  /**
   * A new key could never open what the old one sealed: every save and verify would then fail.
   * So a lost key file stops the start, and the admin chooses what to do.
   */
  private async refuseNewKeyForSealedSecrets(): Promise<void> {
    const sealed = [...(await this.read()).values()].some(
      (stored) => stored.settings !== null && Object.values(stored.settings).some(isSealedSecret),
    );
    if (!sealed) return;
    throw new SettingsStoreError(
      `the key file ${this.keyPath} is missing, but ${this.path} holds secrets sealed with it, so no new key was generated: ` +
        `restore ${this.keyPath} from a backup, or set the encryptionKey option to the key they were sealed with, ` +
        `or delete ${this.path} to start over (the SMTP settings must then be entered again)`,
    );
  }

  private startWatching(): void {
    if (this.watcher) return;
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const name = basename(this.path);
    this.watcher = watch(this.dir, { persistent: false }, (_event, filename) => {
      if (filename === null || filename === name) this.schedule();
    });
    this.watcher.on('error', (error: unknown) => {
      this.logger.error(`Stopped following changes to ${this.path}: ${messageOf(error)}`);
      this.stopWatching();
    });
  }

  private stopWatching(): void {
    clearTimeout(this.debounce);
    this.debounce = undefined;
    this.watcher?.close();
    this.watcher = undefined;
  }

  /** A rename arrives as several events; one re-read after they settle is enough. */
  private schedule(): void {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      this.checking = this.checking.then(() => this.check());
    }, WATCH_DEBOUNCE_MS);
    this.debounce.unref();
  }

  private async check(): Promise<void> {
    if (this.listeners.size === 0) return;
    let scopes: Scopes;
    try {
      scopes = await this.read();
    } catch (error) {
      this.logger.error(`Could not follow a change to the settings: ${messageOf(error)}`);
      return;
    }
    for (const [scope, listeners] of this.listeners) {
      const version = scopes.get(scope)?.version ?? 0;
      if (this.seen.get(scope) === version) continue;
      this.seen.set(scope, version);
      for (const listener of listeners) {
        try {
          listener(version);
        } catch (error) {
          this.logger.error(`A settings listener failed: ${messageOf(error)}`);
        }
      }
    }
  }
}

function toRecord(stored: StoredScope): SmtpSettingsRecord {
  const { scope, version, updatedAt, updatedBy, settings } = stored;
  return { scope, version, updatedAt, updatedBy, settings };
}

async function writeDurably(path: string, text: string): Promise<void> {
  const file = await open(path, 'wx', 0o600);
  try {
    await file.writeFile(text);
    await file.sync();
  } finally {
    await file.close();
  }
}

/** Makes a rename durable. Best effort: some platforms cannot open a directory. */
async function syncDirectory(dir: string): Promise<void> {
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

function parseSettingsFile(text: string): Scopes {
  const data: unknown = JSON.parse(text);
  if (!isObject(data) || data.format !== FORMAT) throw new Error(`"format" is not ${FORMAT}`);
  if (!isObject(data.scopes)) throw new Error('"scopes" is not an object');
  const scopes: Scopes = new Map();
  for (const [scope, stored] of Object.entries(data.scopes)) {
    if (!isStoredScope(scope, stored)) throw new Error(`scope "${scope}" is not a valid record`);
    scopes.set(scope, stored);
  }
  return scopes;
}

function isStoredScope(scope: string, value: unknown): value is StoredScope {
  return (
    isObject(value) &&
    value.scope === scope &&
    isVersion(value.version) &&
    typeof value.updatedAt === 'string' &&
    isActor(value.updatedBy) &&
    (value.settings === null || isObject(value.settings)) &&
    Array.isArray(value.history) &&
    value.history.every(isHistoryEntry)
  );
}

function isHistoryEntry(value: unknown): value is SmtpSettingsHistoryEntry {
  return (
    isObject(value) &&
    isVersion(value.version) &&
    typeof value.at === 'string' &&
    isActor(value.by) &&
    (value.action === 'update' || value.action === 'reset') &&
    Array.isArray(value.changed) &&
    value.changed.every((field) => typeof field === 'string')
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isVersion(value: unknown): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isActor(value: unknown): boolean {
  return value === null || typeof value === 'string';
}

/** Signal 0 only asks whether the process exists; EPERM means it does, under another user. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return codeOf(error) === 'EPERM';
  }
}

function nonce(): string {
  return randomBytes(6).toString('hex');
}

// No `instanceof Error`: errors from Node's fs may come from another realm (as under Jest).
function codeOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
}

function messageOf(error: unknown): string {
  return typeof error === 'object' && error !== null && 'message' in error
    ? String(error.message)
    : String(error);
}
