import { roundsOf, TickBatcher } from './tick-batcher';

describe('TickBatcher', () => {
  it('runs the calls of one round as one batch and answers each its own result', async () => {
    const run = jest.fn((items: number[]) => Promise.resolve(items.map((n) => n * 10)));
    const batcher = new TickBatcher(run);
    const answers = await Promise.all([1, 2, 3].map((n) => batcher.push(n)));
    expect(answers).toEqual([10, 20, 30]);
    expect(run.mock.calls).toEqual([[[1, 2, 3]]]);
  });

  it('runs a call of a later round in a batch of its own', async () => {
    const run = jest.fn((items: string[]) => Promise.resolve(items));
    const batcher = new TickBatcher(run);
    await batcher.push('a');
    await batcher.push('b');
    expect(run.mock.calls).toEqual([[['a']], [['b']]]);
  });

  it('splits a round larger than the most a batch holds', async () => {
    const run = jest.fn((items: number[]) => Promise.resolve(items));
    const batcher = new TickBatcher(run, 2);
    await Promise.all([1, 2, 3, 4, 5].map((n) => batcher.push(n)));
    expect(run.mock.calls).toEqual([[[1, 2]], [[3, 4]], [[5]]]);
  });

  it('with one in flight, gathers what arrives while a batch runs into the next one', async () => {
    let answer!: () => void;
    const run = jest.fn((items: number[]) =>
      items[0] === 1
        ? new Promise<number[]>((resolve) => (answer = () => resolve(items)))
        : Promise.resolve(items),
    );
    const batcher = new TickBatcher(run, 200, { oneInFlight: true });
    const first = batcher.push(1);
    await new Promise((resolve) => setImmediate(resolve));
    const later = [2, 3].map((n) => batcher.push(n));
    await new Promise((resolve) => setImmediate(resolve));
    expect(run.mock.calls).toEqual([[[1]]]);
    answer();
    expect(await Promise.all([first, ...later])).toEqual([1, 2, 3]);
    expect(run.mock.calls).toEqual([[[1]], [[2, 3]]]);
  });

  it('with one in flight, goes on after a batch that fails', async () => {
    const run = jest.fn((items: number[]) =>
      items[0] === 1 ? Promise.reject(new Error('down')) : Promise.resolve(items),
    );
    const batcher = new TickBatcher(run, 200, { oneInFlight: true });
    const first = batcher.push(1);
    await new Promise((resolve) => setImmediate(resolve));
    const second = batcher.push(2);
    await expect(first).rejects.toThrow('down');
    expect(await second).toBe(2);
  });

  it('rejects every call of a batch whose run fails, whether it rejects or throws', async () => {
    const rejecting = new TickBatcher<number, number>(() => Promise.reject(new Error('down')));
    const throwing = new TickBatcher<number, number>(() => {
      throw new Error('at once');
    });
    const calls = [rejecting.push(1), rejecting.push(2), throwing.push(3)];
    const settled = await Promise.allSettled(calls);
    expect(settled.map((s) => (s.status === 'rejected' ? String(s.reason) : s.value))).toEqual([
      'Error: down',
      'Error: down',
      'Error: at once',
    ]);
  });
});

describe('roundsOf', () => {
  it('puts a repeated key in a later round and keeps the order of each key', () => {
    const items = ['a1', 'b1', 'a2', 'c1', 'a3', 'b2'];
    expect(roundsOf(items, (item) => item[0]!)).toEqual([['a1', 'b1', 'c1'], ['a2', 'b2'], ['a3']]);
  });
});
