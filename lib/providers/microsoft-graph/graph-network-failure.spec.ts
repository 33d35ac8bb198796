import { HttpsRequestError } from '../../internal/https-request';
import { networkFailure } from './graph-mail-transport';

describe('A Graph host that cannot be resolved', () => {
  const notFound = (host: string) =>
    new HttpsRequestError(`getaddrinfo ENOTFOUND ${host}`, 'ENOTFOUND', host, false, false);

  it("Microsoft's own: the advice is the product host's network or DNS, never the setting", () => {
    const failure = networkFailure(notFound('graph.microsoft.com'), 'https://graph.microsoft.com');
    expect(failure.message).toMatch(/could not look up graph\.microsoft\.com.*network or DNS/);
    expect(failure.message).not.toMatch(/check microsoft\.graphHost/);
  });

  it('a host of its own (a proxy): check microsoft.graphHost', () => {
    const failure = networkFailure(notFound('graph.proxy.example'), 'https://graph.proxy.example');
    expect(failure.message).toBe(
      'graph.proxy.example could not be found in DNS: check microsoft.graphHost',
    );
  });
});
