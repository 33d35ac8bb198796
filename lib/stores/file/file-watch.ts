import { mkdirSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';

/** A rename arrives as several events; one call after they settle is enough. */
const WATCH_DEBOUNCE_MS = 20;

/**
 * Calls `onChange` after `path` changed, once the events of a change settle. Follows the directory,
 * not the file: every write replaces the file, which ends a watch of the file itself. On a watch
 * error it stops and calls `onError`. Returns the function that stops watching.
 */
export function watchFile(
  path: string,
  onChange: () => void,
  onError: (error: unknown) => void,
): () => void {
  const dir = dirname(path);
  const name = basename(path);
  let debounce: NodeJS.Timeout | undefined;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const watcher = watch(dir, { persistent: false }, (_event, filename) => {
    if (filename !== null && filename !== name) return;
    clearTimeout(debounce);
    debounce = setTimeout(() => {
      debounce = undefined;
      onChange();
    }, WATCH_DEBOUNCE_MS);
    debounce.unref();
  });
  const stop = () => {
    clearTimeout(debounce);
    debounce = undefined;
    watcher.close();
  };
  watcher.on('error', (error: unknown) => {
    stop();
    onError(error);
  });
  return stop;
}
