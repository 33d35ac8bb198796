import { SlidingWindowLimiter } from '../transport/sliding-window-limiter';
import { KeyedLeases } from './keyed-leases';

describe('KeyedLeases', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  const limiters = () => new KeyedLeases<SlidingWindowLimiter>((limiter) => limiter.isIdle());
  const limiter = () => new SlidingWindowLimiter(2, 60_000);

  it("shares one key's value between its holders, and not with other keys", () => {
    const leases = limiters();
    const old = leases.lease('acme m@x', limiter);
    const next = leases.lease('acme m@x', limiter);
    expect(next.value).toBe(old.value);
    expect(leases.lease('globex m@x', limiter).value).not.toBe(old.value);
  });

  it('forgets a value once no lease holds it and it is idle, not before', async () => {
    const leases = limiters();
    const lease = leases.lease('acme m@x', limiter);
    await lease.value.acquire();
    lease.release();
    lease.release();
    // Within the window, a new channel gets the same, partly spent budget.
    const again = leases.lease('acme m@x', limiter);
    expect(again.value).toBe(lease.value);
    again.release();
    expect(leases.size).toBe(1);
    jest.setSystemTime(Date.now() + 60_000);
    leases.lease('globex m@x', limiter);
    expect(leases.size).toBe(1);
    expect(leases.get('acme m@x')).toBeUndefined();
  });

  it('keeps a value that a lease still holds, however long ago it was used', () => {
    const leases = limiters();
    leases.lease('acme m@x', limiter);
    jest.setSystemTime(Date.now() + 3_600_000);
    leases.lease('globex m@x', limiter);
    expect(leases.size).toBe(2);
  });

  it('drops an idle value at its last release, and a double release counts once', () => {
    const leases = new KeyedLeases<object>();
    const first = leases.lease('acme 1', () => ({}));
    const second = leases.lease('acme 1', () => ({}));
    first.release();
    first.release();
    expect(leases.get('acme 1')).toBe(second.value);
    second.release();
    expect(leases.size).toBe(0);
  });
});
