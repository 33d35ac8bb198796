import { RequestGate } from './request-gate';

describe('RequestGate', () => {
  it('a waiter whose signal aborts leaves the queue with its reason, and its work never runs', async () => {
    const gate = new RequestGate(1);
    let finishFirst!: () => void;
    const first = gate.run(() => new Promise<void>((resolve) => (finishFirst = resolve)));
    const stop = new AbortController();
    const leaver = jest.fn(() => Promise.resolve('sent'));
    const left = gate.run(leaver, stop.signal);
    const next = gate.run(() => Promise.resolve('next'));
    expect(gate.busy).toBe(3);

    const reason = new Error('deadline');
    stop.abort(reason);
    await expect(left).rejects.toBe(reason);
    expect(gate.busy).toBe(2);

    finishFirst();
    await first;
    await expect(next).resolves.toBe('next');
    expect(leaver).not.toHaveBeenCalled();
    expect(gate.busy).toBe(0);
  });

  it('refuses a signal already aborted while the gate is full, taking no place', async () => {
    const gate = new RequestGate(1);
    let finish!: () => void;
    const running = gate.run(() => new Promise<void>((resolve) => (finish = resolve)));
    const reason = new Error('interrupted');
    const work = jest.fn(() => Promise.resolve());

    await expect(gate.run(work, AbortSignal.abort(reason))).rejects.toBe(reason);
    expect(gate.busy).toBe(1);
    finish();
    await running;
    expect(work).not.toHaveBeenCalled();
    expect(gate.busy).toBe(0);
  });
});
