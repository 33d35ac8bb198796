/**
 * Sums one or more .cpuprofile files (node --cpu-prof, or node:inspector's Profiler) with no GUI:
 * self time by function and by file, the top 40 of each, as a share of all samples.
 *
 *   node dist-bench/bench/lib/cpuprofile-top.js a.cpuprofile [b.cpuprofile ...]
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const byFunction = new Map<string, number>();
const byFile = new Map<string, number>();
let total = 0;
for (const file of process.argv.slice(2)) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const time = new Map<number, number>();
  profile.samples.forEach((id, i) =>
    time.set(id, (time.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)),
  );
  for (const [id, us] of time) {
    const { functionName, url, lineNumber } = nodes.get(id)!.callFrame;
    const where = shorten(url);
    const fn = `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    byFile.set(where || functionName, (byFile.get(where || functionName) ?? 0) + us);
    total += us;
  }
}

function shorten(url: string): string {
  return url
    .replace(/^file:\/\//, '')
    .replace(/.*\/node_modules\//, '~/')
    .replace(/.*\/dist-bench\//, '');
}

function top(title: string, tally: Map<string, number>): void {
  console.log(`\n${title} (of ${(total / 1000).toFixed(0)} ms sampled)`);
  const rows = [...tally].sort((a, b) => b[1] - a[1]).slice(0, 40);
  for (const [name, us] of rows) {
    console.log(
      `${((100 * us) / total).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(6)} ms  ${name}`,
    );
  }
}

top('self time by function', byFunction);
top('self time by file', byFile);

/** `--callers name`: who calls the functions so named, by self time, 4 frames up. */
const asked = process.env.CALLERS;
if (asked) {
  const chains = new Map<string, number>();
  for (const file of process.argv.slice(2)) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile & {
      nodes: Array<Node & { children?: number[] }>;
    };
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    const parent = new Map<number, number>();
    for (const node of profile.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
    const time = new Map<number, number>();
    profile.samples.forEach((id, i) =>
      time.set(id, (time.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)),
    );
    for (const [id, us] of time) {
      if (nodes.get(id)!.callFrame.functionName !== asked) continue;
      const chain: string[] = [];
      let at = parent.get(id);
      for (let depth = 0; at !== undefined && depth < Number(process.env.DEPTH ?? 6); depth++) {
        const { functionName, url, lineNumber } = nodes.get(at)!.callFrame;
        if (!url.startsWith('node:'))
          chain.push(`${functionName || '(anon)'} ${shorten(url)}:${lineNumber + 1}`);
        at = parent.get(at);
      }
      const key = chain.join(' < ');
      chains.set(key, (chains.get(key) ?? 0) + us);
    }
  }
  top(`callers of ${asked}`, chains);
}
