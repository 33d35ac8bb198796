/**
 * Gathers the calls made while the event loop handles one round of I/O and runs them as one
 * batch when it is over (`setImmediate`): what arrives together goes to the store in one write
 * and one script or statement, instead of one per call. A lone call waits for nothing but the end
 * of its round. `run` answers each item in order; when it throws, every caller of the batch gets
 * the error.
 */
export class TickBatcher<I, O> {
  private pending: Array<{ item: I; resolve(value: O): void; reject(error: unknown): void }> = [];
  private scheduled = false;

  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly maxBatch = 200,
  ) {}

  push(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    this.scheduled = false;
    const all = this.pending;
    this.pending = [];
    for (let start = 0; start < all.length; start += this.maxBatch) {
      const batch = all.slice(start, start + this.maxBatch);
      // A run that throws at once fails its batch like one that rejects.
      Promise.resolve(batch.map((call) => call.item))
        .then((items) => this.run(items))
        .then(
          (results) => {
            for (const [i, call] of batch.entries()) call.resolve(results[i] as O);
          },
          (error: unknown) => {
            for (const call of batch) call.reject(error);
          },
        );
    }
  }
}

/**
 * Splits `items` into rounds in which no key appears twice, keeping their order: for a batch
 * written as one statement, where the same row named twice would be changed once.
 */
export function roundsOf<I>(items: I[], keyOf: (item: I) => string): I[][] {
  const rounds: Array<{ keys: Set<string>; items: I[] }> = [];
  for (const item of items) {
    const key = keyOf(item);
    let round = rounds.find((candidate) => !candidate.keys.has(key));
    if (!round) rounds.push((round = { keys: new Set(), items: [] }));
    round.keys.add(key);
    round.items.push(item);
  }
  return rounds.map((round) => round.items);
}
