import { performance } from 'node:perf_hooks';
import { latencySummary, type LatencySummary } from './stats';

export interface LoadOptions {
  /** How many sends, numbered 0..count-1. */
  count: number;
  /** How many sends are in flight at once. */
  concurrency: number;
  send: (index: number) => Promise<unknown>;
}

export interface LoadResult extends LatencySummary {
  count: number;
  failed: number;
  durationMs: number;
  msgsPerSec: number;
  /** CPU time (user + system) this process spent per message, in microseconds. */
  cpuPerMsg: number;
  /** When each send started (performance.now(), ms), by index. */
  starts: Float64Array;
  /** How long each send took (ms), by index; NaN for a failed one. */
  latencies: Float64Array;
  /** Which sends failed, by index. */
  failures: Uint8Array;
  /** The first few distinct error messages, with how often each occurred. */
  errors: Map<string, number>;
}

/** Runs `count` sends with `concurrency` in flight, timing each one. */
export async function runLoad({ count, concurrency, send }: LoadOptions): Promise<LoadResult> {
  const starts = new Float64Array(count);
  const latencies = new Float64Array(count);
  const failures = new Uint8Array(count);
  const errors = new Map<string, number>();
  let failed = 0;
  let next = 0;

  const worker = async (): Promise<void> => {
    for (let i = next++; i < count; i = next++) {
      const start = performance.now();
      starts[i] = start;
      try {
        await send(i);
        latencies[i] = performance.now() - start;
      } catch (error) {
        latencies[i] = NaN;
        failures[i] = 1;
        failed++;
        const message = error instanceof Error ? error.message : String(error);
        if (errors.size < 5 || errors.has(message))
          errors.set(message, (errors.get(message) ?? 0) + 1);
      }
    }
  };

  const began = performance.now();
  const cpuBefore = process.cpuUsage();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  const cpu = process.cpuUsage(cpuBefore);
  const durationMs = performance.now() - began;
  const ok = latencies.filter((l) => !Number.isNaN(l));
  return {
    count,
    failed,
    durationMs,
    msgsPerSec: ((count - failed) * 1000) / durationMs,
    cpuPerMsg: (cpu.user + cpu.system) / count,
    ...latencySummary(ok),
    starts,
    latencies,
    failures,
    errors,
  };
}

/** A one-line account of what failed, for a report. */
export function describeErrors(errors: Map<string, number>): string {
  return [...errors].map(([message, n]) => `${n}x ${message}`).join('; ');
}
