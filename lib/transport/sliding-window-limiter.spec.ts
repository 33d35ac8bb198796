import { SlidingWindowLimiter } from './sliding-window-limiter';

describe('SlidingWindowLimiter', () => {
  it('lets at most `limit` starts through in any window, in arrival order', async () => {
    const limiter = new SlidingWindowLimiter(3, 200);
    const starts: Array<{ id: number; at: number }> = [];
    await Promise.all(
      Array.from({ length: 9 }, (_, id) =>
        limiter.acquire().then(() => starts.push({ id, at: Date.now() })),
      ),
    );
    expect(starts.map((s) => s.id)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    for (let i = 3; i < starts.length; i++) {
      // The (i)th start may only happen once the (i-3)th has left the window.
      expect(starts[i]!.at - starts[i - 3]!.at).toBeGreaterThanOrEqual(199);
    }
  });

  it('does not delay starts under the limit', async () => {
    const limiter = new SlidingWindowLimiter(5, 10_000);
    const before = Date.now();
    await Promise.all(Array.from({ length: 5 }, () => limiter.acquire()));
    expect(Date.now() - before).toBeLessThan(100);
  });
});
