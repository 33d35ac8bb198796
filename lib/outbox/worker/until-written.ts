import { setTimeout as sleep } from 'node:timers/promises';

const FIRST_PAUSE_MS = 50;
const LONGEST_PAUSE_MS = 2_000;

/**
 * A send log write after the server has (or may have) the message: a store error thrown from here
 * would make BullMQ run the job again, and the entry, still `sending`, would let that attempt send
 * it a second time. So the write is tried again, with growing pauses, until it lands; only a
 * worker being stopped (`stopped` aborted) gives up, leaving the job to be taken over as a crashed
 * worker's would.
 */
export async function untilWritten<T>(write: () => Promise<T>, stopped?: AbortSignal): Promise<T> {
  for (let pause = FIRST_PAUSE_MS; ; pause = Math.min(2 * pause, LONGEST_PAUSE_MS)) {
    try {
      return await write();
    } catch (error) {
      if (stopped?.aborted) throw error;
      await sleep(pause, undefined, { signal: stopped }).catch(() => undefined);
    }
  }
}
