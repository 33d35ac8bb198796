import { mkdirSync, watch } from 'node:fs';

/** A rename arrives as several events; one call after they settle is enough. */
const WATCH_BATCH_MS = 20;

/**
 * Calls `onChange` with the names of the files of `dir` that changed (null when the platform did
 * not say which), at most once per 20 ms, so that a burst of changes is read once. Follows the
 * directory, not its files: every write replaces a file, which ends a watch of the file itself, and
 * one watch serves any number of files. On a watch error it stops and calls `onError`. Returns the
 * function that stops watching.
 */
export function watchDirectory(
  dir: string,
  onChange: (names: Set<string> | null) => void,
  onError: (error: unknown) => void,
): () => void {
  let pending: Set<string> | null | undefined;
  let timer: NodeJS.Timeout | undefined;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const watcher = watch(dir, { persistent: false }, (_event, filename) => {
    if (filename === null) pending = null;
    else if (pending !== null) (pending ??= new Set()).add(filename);
    // Not pushed back by later events: a directory that never rests is still read every 20 ms.
    if (timer) return;
    timer = setTimeout(() => {
      const names = pending;
      pending = undefined;
      timer = undefined;
      onChange(names ?? null);
    }, WATCH_BATCH_MS);
    timer.unref();
  });
  const stop = () => {
    clearTimeout(timer);
    timer = undefined;
    watcher.close();
  };
  watcher.on('error', (error: unknown) => {
    stop();
    onError(error);
  });
  return stop;
}
