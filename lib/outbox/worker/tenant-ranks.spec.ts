import { TenantRanks, type QueuePlace } from './tenant-ranks';

/** A place in short: 'tail' and 'head' of the wait list, or the rank. */
const short = (place: QueuePlace) =>
  place.priority > 0 ? place.priority : place.lifo ? 'head' : 'tail';

describe('TenantRanks', () => {
  const sends = (ranks: TenantRanks, tenant: string, count: number, now = 0) =>
    Array.from({ length: count }, () => short(ranks.next(tenant, now)));

  it('leaves a tenant alone in the window unranked, in order, however many it sends', () => {
    const ranks = new TenantRanks(60_000, 2);
    expect(sends(ranks, 'solo', 1000).every((place) => place === 'tail')).toBe(true);
  });

  it("between tenants, leaves each one's first messages unranked, then ranks each after the one before", () => {
    const ranks = new TenantRanks(60_000, 2);
    expect(sends(ranks, 'a', 1)).toEqual(['tail']);
    expect(sends(ranks, 'b', 4)).toEqual(['tail', 'tail', 3, 4]);
    expect(sends(ranks, 'a', 3)).toEqual(['tail', 3, 4]);
  });

  it("puts a second tenant's one message at the head, ahead of the burst a tenant alone enqueued", () => {
    const ranks = new TenantRanks(60_000, 2);
    sends(ranks, 'burst', 500);
    expect(sends(ranks, 'quiet', 1)).toEqual(['head']);
  });

  it("puts a second tenant's free ranks at the head and ranks the rest; the burst's tenant is ranked from then on", () => {
    const ranks = new TenantRanks(60_000, 2);
    sends(ranks, 'burst', 500);
    expect(sends(ranks, 'fifty', 5)).toEqual(['head', 'head', 3, 4, 5]);
    expect(sends(ranks, 'burst', 2)).toEqual([501, 502]);
  });

  it('puts a third tenant at the head too', () => {
    const ranks = new TenantRanks(60_000, 2);
    sends(ranks, 'burst', 500);
    sends(ranks, 'second', 1);
    expect(sends(ranks, 'third', 3)).toEqual(['head', 'head', 3]);
  });

  it('remembers the burst past the window: a tenant alone in a later window still goes ahead of it, until the memory ends', () => {
    const ranks = new TenantRanks(1000, 2, 5000);
    sends(ranks, 'burst', 500, 0);
    expect(sends(ranks, 'later', 3, 2000)).toEqual(['head', 'head', 3]);
    expect(sends(ranks, 'later', 3, 4000)).toEqual(['head', 'head', 3]);
    // 5 s after the burst's last message: forgotten; 'later' is alone in its window.
    expect(sends(ranks, 'later', 3, 5000)).toEqual(['tail', 'tail', 'tail']);
  });

  it("does not put the burst's own tenant ahead of itself in a later window", () => {
    const ranks = new TenantRanks(1000, 2, 5000);
    sends(ranks, 'burst', 500, 0);
    expect(sends(ranks, 'burst', 3, 1000)).toEqual(['tail', 'tail', 'tail']);
  });

  it('goes back to the tail once no other tenant sent for a window', () => {
    const ranks = new TenantRanks(1000, 2, 0);
    sends(ranks, 'a', 1, 0);
    expect(sends(ranks, 'b', 3, 500)).toEqual(['tail', 'tail', 3]);
    expect(sends(ranks, 'b', 3, 1500)).toEqual(['tail', 'tail', 'tail']);
  });

  it('starts the ranks again once the window has passed', () => {
    const ranks = new TenantRanks(1000, 1);
    ranks.next('other', 0);
    expect([ranks.next('a', 0), ranks.next('a', 999)].map(short)).toEqual(['tail', 2]);
    ranks.next('other', 1000);
    expect(short(ranks.next('a', 1000))).toBe('tail');
  });

  it("never goes past BullMQ's highest priority", () => {
    const ranks = new TenantRanks(60_000, 0);
    ranks.next('other', 0);
    let last: QueuePlace = { priority: 0, lifo: false };
    for (let i = 0; i < 2_100_000; i++) last = ranks.next('huge', 0);
    expect(last.priority).toBe(2_097_152);
  });
});
