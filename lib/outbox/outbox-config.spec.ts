import { resolveOutboxOptions } from './outbox-config';

describe('outbox.tenantConcurrency', () => {
  const base = { backend: 'redis' as const, connection: 'redis://127.0.0.1:6379' };

  it.each([
    [undefined, 2],
    [1, 1],
    [5, 2],
    [50, 25],
  ])('defaults to half of concurrency %s: %s', (concurrency, share) => {
    const options = concurrency === undefined ? base : { ...base, concurrency };
    expect(resolveOutboxOptions(options).tenantConcurrency).toBe(share);
  });

  it('is what the app gives, whatever the concurrency', () => {
    expect(
      resolveOutboxOptions({ ...base, concurrency: 50, tenantConcurrency: 3 }).tenantConcurrency,
    ).toBe(3);
  });
});
