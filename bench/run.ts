/**
 * `npm run bench [-- name...]`: runs the benchmarks one after another, each in a process of its
 * own (so that one's heap and sockets cannot disturb the next), then prints their summary lines
 * together. Exits non-zero if any benchmark did: a must-be-zero figure was not zero, or it failed.
 * Names: send-throughput, settings-reads, swap-under-load, bearer-tokens, scaling, tenants, outbox,
 * fairness, failover (or a prefix).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { machine } from './lib/report';

const BENCHMARKS = [
  'send-throughput',
  'settings-reads',
  'swap-under-load',
  'bearer-tokens',
  'scaling',
  'tenants',
  'outbox',
  'fairness',
  'failover',
] as const;

async function main(): Promise<number> {
  const asked = process.argv.slice(2);
  const chosen = asked.length
    ? BENCHMARKS.filter((name) => asked.some((a) => name.startsWith(a)))
    : [...BENCHMARKS];
  if (chosen.length === 0) {
    console.error(`unknown benchmark: ${asked.join(' ')} (choose from ${BENCHMARKS.join(', ')})`);
    return 2;
  }
  const started = Date.now();
  const results: Array<{ name: string; code: number; summaries: string[] }> = [];
  for (const name of chosen) results.push({ name, ...(await runOne(name)) });

  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  console.log(`\n=== bench summary: ${machine()}, ${seconds} s ===`);
  for (const { name, code, summaries } of results) {
    console.log(summaries.length ? summaries.join('\n') : `summary: ${name} printed no summary`);
    if (code !== 0) console.log(`  ^ ${name} exited with ${code}`);
  }
  const failed = results.filter((r) => r.code !== 0).map((r) => r.name);
  console.log(
    failed.length
      ? `FAILED: ${failed.join(', ')}`
      : 'all benchmarks ran; every must-be-zero figure is zero',
  );
  return failed.length ? 1 : 0;
}

/** Runs one benchmark; its summary lines (the outbox prints two) are kept for the end. */
function runOne(name: string): Promise<{ code: number; summaries: string[] }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', join(__dirname, `${name}.bench.js`)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const summaries: string[] = [];
    createInterface({ input: child.stdout }).on('line', (line) => {
      console.log(line);
      if (line.startsWith('summary: ')) summaries.push(line);
    });
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), summaries }));
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
