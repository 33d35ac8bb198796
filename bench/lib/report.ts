import { availableParallelism, cpus, totalmem } from 'node:os';

const violations: string[] = [];

/**
 * A figure that must be zero (lost, failed, duplicated messages; leaked connections). Anything else
 * makes the process exit non-zero once the benchmark has printed its report.
 */
export function mustBeZero(name: string, value: number): number {
  if (value !== 0) violations.push(`${name}=${value}`);
  return value;
}

/** The one summary line a benchmark prints; the runner collects these. */
export function summary(text: string): void {
  console.log(`summary: ${text}`);
}

export function machine(): string {
  const model = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const memory = `${(totalmem() / 2 ** 30).toFixed(1)} GiB`;
  return `${availableParallelism()} cores (${model}), ${memory}, Node ${process.version}`;
}

/**
 * Runs a benchmark's main function as a script: prints its report, then exits with 1 if it threw
 * or a must-be-zero figure was not zero. Exits explicitly so that a stray handle cannot hang a run.
 */
export function runAsScript(name: string, main: () => Promise<void>): void {
  const started = Date.now();
  console.log(`# ${name} - ${machine()}`);
  main().then(
    () => {
      const seconds = ((Date.now() - started) / 1000).toFixed(0);
      if (violations.length) console.log(`FAILED must-be-zero figures: ${violations.join(', ')}`);
      console.log(`(${name} took ${seconds} s)`);
      process.exit(violations.length ? 1 : 0);
    },
    (error: unknown) => {
      console.error(`${name} failed:`, error);
      process.exit(1);
    },
  );
}
