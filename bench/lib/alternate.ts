/** One side of a comparison: `run` performs one measured round. */
export interface Variant<R> {
  name: string;
  run: (round: number) => Promise<R>;
}

export interface AlternateOptions {
  /** Unrecorded rounds of each variant first, alternating too. */
  warmup: number;
  /** Recorded rounds of each variant. */
  rounds: number;
  /** A label for progress lines on stderr. */
  label?: string;
}

/**
 * Runs the variants side by side in this process: round r runs all of them, in an order rotated by
 * r (ABC, BCA, CAB, ...), so that drift and other load on the machine hit each variant alike. The
 * heap is collected before every round when `--expose-gc` is on, so no round pays for another's
 * garbage.
 */
export async function alternate<R>(
  variants: readonly Variant<R>[],
  { warmup, rounds, label }: AlternateOptions,
): Promise<Map<string, R[]>> {
  const results = new Map<string, R[]>(variants.map((v) => [v.name, []]));
  for (let round = -warmup; round < rounds; round++) {
    const offset = ((round % variants.length) + variants.length) % variants.length;
    const order = [...variants.slice(offset), ...variants.slice(0, offset)];
    if (label) {
      const what = round < 0 ? 'warm-up' : `round ${round + 1}/${rounds}`;
      process.stderr.write(`  ${label}: ${what} (${order.map((v) => v.name).join(', ')})\n`);
    }
    for (const variant of order) {
      collectGarbage();
      const result = await variant.run(round);
      if (round >= 0) results.get(variant.name)!.push(result);
    }
  }
  return results;
}

/** A full collection when the process runs with `--expose-gc`; otherwise nothing. */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
}

/** Pairs round i of `a` with round i of `b`: the ratios of such pairs cancel drift best. */
export function pairedRatios<R>(a: R[], b: R[], figure: (r: R) => number): number[] {
  return a.map((r, i) => figure(r) / figure(b[i]!));
}
