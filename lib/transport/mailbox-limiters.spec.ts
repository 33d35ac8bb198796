import { MailboxLimiters } from './mailbox-limiters';

describe('MailboxLimiters', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it("shares one mailbox's budget between the channels that hold it, and not with other mailboxes", async () => {
    const limiters = new MailboxLimiters(2, 60_000);
    const old = limiters.lease('acme m@x');
    const next = limiters.lease('acme m@x');
    expect(next.limiter).toBe(old.limiter);
    expect(limiters.lease('globex m@x').limiter).not.toBe(old.limiter);
  });

  it('forgets a mailbox once no channel holds it and its window has passed, not before', async () => {
    const limiters = new MailboxLimiters(2, 60_000);
    const lease = limiters.lease('acme m@x');
    await lease.limiter.acquire();
    lease.release();
    lease.release();
    // Within the window, a new channel gets the same, partly spent budget.
    const again = limiters.lease('acme m@x');
    expect(again.limiter).toBe(lease.limiter);
    again.release();
    jest.setSystemTime(Date.now() + 60_000);
    limiters.lease('globex m@x');
    expect(limiters.size).toBe(1);
  });

  it('keeps a mailbox that a channel still holds, however long ago it sent', () => {
    const limiters = new MailboxLimiters(2, 60_000);
    limiters.lease('acme m@x');
    jest.setSystemTime(Date.now() + 3_600_000);
    limiters.lease('globex m@x');
    expect(limiters.size).toBe(2);
  });
});
