import { link, mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StoreUnavailableError } from '../../errors/store-unavailable.error';
import { sidePathFor } from '../../internal/durable-file';
import { codeOf } from '../../internal/error-code';
import { messageOf } from '../../internal/message-of';
import { isAlive } from '../../internal/process-alive';

const LOCK_TIMEOUT_MS = 5_000;
/** Writes take milliseconds, so a lock this old belongs to a writer that hung. */
const STALE_LOCK_MS = 30_000;
/** A lock file is written right after it is created; one still empty after this was abandoned. */
const EMPTY_LOCK_MS = 1_000;

/**
 * The time the lock goes by. Tests replace it, to pass its timeout and lock ages without waiting
 * them out and to tell how long a writer waited; nothing else should.
 */
export const lockClock = {
  now: (): number => Date.now(),
  sleep: (ms: number): Promise<void> => sleep(ms),
};

interface LockInfo {
  ino: number;
  mtimeMs: number;
  pid?: number;
  host?: string;
}

/**
 * A lock file beside `path` (`<path>.lock`, holding the pid and host of its holder) that orders the
 * writers of several processes. A lock whose holder died or hung is taken over.
 *
 * Not proper-lockfile, whose guarantees are weaker here: it judges a lock stale by age alone, at
 * least 2 s, so every writer waits that long after a crash, where the pid tells at once; it takes
 * a stale lock over by checking then removing it, so two writers that both found it stale can both
 * hold it (moxystudio/node-proper-lockfile#121), where the rename aside and inode check below
 * leave one; and it cannot say who holds a lock when a writer gives up.
 */
export class FileLock {
  readonly lockPath: string;

  /** @param onStaleRemoved runs after the lock of a dead or hung writer was removed. */
  constructor(
    private readonly path: string,
    private readonly onStaleRemoved: () => Promise<void>,
  ) {
    this.lockPath = `${path}.lock`;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const lock = await this.acquire();
    try {
      return await task();
    } finally {
      // Only our own lock: if it was judged stale and replaced, the new holder keeps theirs.
      const info = await stat(this.lockPath).catch(() => undefined);
      if (info?.ino === lock) await unlink(this.lockPath).catch(() => undefined);
    }
  }

  /** Returns the inode of the lock file it created. */
  private async acquire(): Promise<number> {
    const deadline = lockClock.now() + LOCK_TIMEOUT_MS;
    for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
      const lock = await this.tryLock();
      if (lock !== undefined) return lock;
      if (await this.removeStaleLock()) {
        // A writer died mid-change: what it left behind is garbage now.
        await this.onStaleRemoved();
        continue;
      }
      if (lockClock.now() >= deadline) {
        const holder = await this.inspect().catch(() => undefined);
        const by = holder?.pid
          ? `process ${holder.pid} on ${holder.host ?? 'this machine'}`
          : 'a process';
        throw new StoreUnavailableError(
          `${this.path} stayed locked for ${LOCK_TIMEOUT_MS / 1000} s by ${by}; if no process is writing settings, remove ${this.lockPath}`,
        );
      }
      await lockClock.sleep(delay * (0.5 + Math.random()));
    }
  }

  private async tryLock(): Promise<number | undefined> {
    let file: FileHandle;
    try {
      file = await open(this.lockPath, 'wx', 0o600);
    } catch (error) {
      if (codeOf(error) === 'EEXIST') return undefined;
      throw new StoreUnavailableError(
        `${this.lockPath} could not be created (${messageOf(error)})`,
      );
    }
    try {
      await file.writeFile(`${process.pid}\n${hostname()}\n`);
      return (await file.stat()).ino;
    } catch (error) {
      await unlink(this.lockPath).catch(() => undefined);
      throw new StoreUnavailableError(
        `${this.lockPath} could not be written (${messageOf(error)})`,
      );
    } finally {
      await file.close();
    }
  }

  /** Removes the lock of a writer that died or hung. True when the caller should retry at once. */
  private async removeStaleLock(): Promise<boolean> {
    const lock = await this.inspect();
    // Gone already: its holder finished.
    if (!lock) return true;
    const age = lockClock.now() - lock.mtimeMs;
    // A pid means nothing in another pid namespace (a container sharing the volume): age decides.
    const local = lock.host === undefined || lock.host === hostname();
    const stale =
      age > STALE_LOCK_MS ||
      (lock.pid === undefined ? age > EMPTY_LOCK_MS : local && !isAlive(lock.pid));
    if (!stale) return false;
    // Moved aside rather than deleted: if another writer replaced it since we looked, the inode
    // tells, and their lock goes back in place.
    const aside = sidePathFor(this.lockPath, 'stale');
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

  private async inspect(): Promise<LockInfo | undefined> {
    let file: FileHandle;
    try {
      file = await open(this.lockPath, 'r');
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return undefined;
      throw new StoreUnavailableError(`${this.lockPath} cannot be read (${messageOf(error)})`);
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
}
