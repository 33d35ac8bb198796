import { TenantRanks } from './tenant-ranks';

describe('TenantRanks', () => {
  it("leaves a tenant's first messages of a window unranked, then ranks each after the one before", () => {
    const ranks = new TenantRanks(60_000, 2);
    expect([1, 2, 3, 4].map(() => ranks.next('burst', 0))).toEqual([0, 0, 3, 4]);
  });

  it('ranks each tenant on its own: a quiet tenant is not ranked behind a busy one', () => {
    const ranks = new TenantRanks(60_000, 2);
    for (let i = 0; i < 1000; i++) ranks.next('burst', 0);
    expect(ranks.next('burst', 0)).toBe(1001);
    expect(ranks.next('quiet', 0)).toBe(0);
  });

  it('starts again once the window has passed', () => {
    const ranks = new TenantRanks(1000, 1);
    expect([ranks.next('a', 0), ranks.next('a', 999), ranks.next('a', 1000)]).toEqual([0, 2, 0]);
  });

  it("never goes past BullMQ's highest priority", () => {
    const ranks = new TenantRanks(60_000, 0);
    let last = 0;
    for (let i = 0; i < 2_100_000; i++) last = ranks.next('huge', 0);
    expect(last).toBe(2_097_152);
  });
});
