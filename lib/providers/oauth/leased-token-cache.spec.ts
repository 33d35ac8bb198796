import type { AccessToken } from './access-token';
import { LeasedTokenCache } from './leased-token-cache';

const HOUR = 60 * 60_000;

/** A cache whose requests answer `token-1`, `token-2`, … valid for `lifetime` from now. */
function cacheOf(lifetime = HOUR) {
  let issued = 0;
  const request = jest.fn((context: string): Promise<AccessToken> =>
    Promise.resolve({ accessToken: `${context}-${++issued}`, expiresOn: Date.now() + lifetime }),
  );
  return { cache: new LeasedTokenCache<string, AccessToken>(request), request };
}

describe('LeasedTokenCache', () => {
  let now: number;
  beforeEach(() => {
    now = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
  });
  afterEach(() => jest.restoreAllMocks());

  it('shares one pending request between concurrent callers', async () => {
    const { cache, request } = cacheOf();
    const entry = cache.entry('token');
    const answers = await Promise.all([
      cache.tokens(entry, false),
      cache.tokens(entry, false),
      cache.tokens(entry, true),
    ]);
    expect(request).toHaveBeenCalledTimes(1);
    expect(answers.map((t) => t.accessToken)).toEqual(['token-1', 'token-1', 'token-1']);
    expect(entry.pending).toBeUndefined();
  });

  it('clears a failed request so the next caller asks again', async () => {
    const request = jest
      .fn<Promise<AccessToken>, [string]>()
      .mockRejectedValueOnce(new Error('down'))
      .mockResolvedValueOnce({ accessToken: 'ok', expiresOn: now + HOUR });
    const cache = new LeasedTokenCache<string, AccessToken>(request);
    const entry = cache.entry('x');
    await expect(cache.tokens(entry, false)).rejects.toThrow('down');
    await expect(cache.tokens(entry, false)).resolves.toMatchObject({ accessToken: 'ok' });
    expect(request).toHaveBeenCalledTimes(2);
  });

  it('renews 5 minutes before expiry, or a tenth of a short lifetime', async () => {
    const { cache, request } = cacheOf();
    const entry = cache.entry('token');
    await cache.tokens(entry, false);
    now += HOUR - 5 * 60_000 - 1;
    expect((await cache.tokens(entry, false)).accessToken).toBe('token-1');
    now += 1;
    expect((await cache.tokens(entry, false)).accessToken).toBe('token-2');
    expect(request).toHaveBeenCalledTimes(2);

    const short = cacheOf(10 * 60_000);
    const shortEntry = short.cache.entry('short');
    await short.cache.tokens(shortEntry, false);
    now += 9 * 60_000 - 1;
    expect((await short.cache.tokens(shortEntry, false)).accessToken).toBe('short-1');
    now += 1;
    expect((await short.cache.tokens(shortEntry, false)).accessToken).toBe('short-2');
  });

  it('renews only when the rejected token is still the newest', async () => {
    const { cache, request } = cacheOf();
    const entry = cache.entry('token');
    await cache.tokens(entry, false);
    expect((await cache.tokens(entry, true, 'token-1')).accessToken).toBe('token-2');
    // An older token refused: the newer one already replaced it.
    expect((await cache.tokens(entry, true, 'token-1')).accessToken).toBe('token-2');
    // Refused without saying which: the newest is renewed.
    expect((await cache.tokens(entry, true)).accessToken).toBe('token-3');
    expect(request).toHaveBeenCalledTimes(3);
  });

  it('keeps an entry per tenant and version while leased, and drops it on the last release', async () => {
    const { cache, request } = cacheOf();
    const create = jest.fn(() => 'token');
    const first = cache.lease('a', 1, create);
    const second = cache.lease('a', 1, create);
    const other = cache.lease('a', 2, create);
    expect(second.entry).toBe(first.entry);
    expect(other.entry).not.toBe(first.entry);
    expect(create).toHaveBeenCalledTimes(2);
    expect(cache.size).toBe(2);
    expect(cache.find('a', 1)).toBe(first.entry);

    await cache.tokens(first.entry, false);
    await cache.tokens(second.entry, false);
    expect(request).toHaveBeenCalledTimes(1);

    first.release();
    first.release(); // a second release is a no-op
    expect(cache.find('a', 1)).toBe(second.entry);
    second.release();
    expect(cache.find('a', 1)).toBeUndefined();
    expect(cache.size).toBe(1);
    other.release();
    expect(cache.size).toBe(0);

    const again = cache.lease('a', 1, create);
    expect(again.entry).not.toBe(first.entry);
    expect(again.entry.token).toBeUndefined();
  });
});
