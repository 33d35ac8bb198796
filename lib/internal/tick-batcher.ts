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
  private running = 0;

  /**
   * `oneInFlight`: a batch starts only once the one before has answered, and what arrived meanwhile
   * goes in it (a group commit): under load the batches grow, and with them what each one's fixed
   * cost (a script's call, its per-key commands) is shared by; a lone call still waits for nothing.
   */
  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly maxBatch = 200,
    private readonly options: { oneInFlight?: boolean } = {},
  ) {}

  push(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || (this.options.oneInFlight && this.running > 0)) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const all = this.pending;
    // One in flight: one batch now, the rest after it.
    const take = this.options.oneInFlight ? this.maxBatch : all.length;
    this.pending = all.slice(take);
    for (let start = 0; start < Math.min(take, all.length); start += this.maxBatch) {
      const batch = all.slice(start, Math.min(start + this.maxBatch, take));
      this.running++;
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
        )
        .finally(() => {
          this.running--;
          if (this.pending.length > 0) this.schedule();
        });
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
