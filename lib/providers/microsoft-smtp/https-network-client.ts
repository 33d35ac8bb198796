import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import { httpsRequest } from '../../internal/https-request';

/**
 * MSAL's HTTP client with extra trusted CAs. MSAL has no option for a CA of its own, and turning
 * verification off is never an option here.
 */
export class HttpsNetworkClient implements INetworkModule {
  constructor(private readonly ca: string | Buffer | Array<string | Buffer>) {}

  sendGetRequestAsync<T>(
    url: string,
    options?: NetworkRequestOptions,
    timeout?: number,
  ): Promise<NetworkResponse<T>> {
    return this.send<T>('GET', url, options, timeout);
  }

  sendPostRequestAsync<T>(
    url: string,
    options?: NetworkRequestOptions,
  ): Promise<NetworkResponse<T>> {
    return this.send<T>('POST', url, options);
  }

  private async send<T>(
    method: string,
    url: string,
    options: NetworkRequestOptions = {},
    timeoutMs = 30_000,
  ): Promise<NetworkResponse<T>> {
    const answer = await httpsRequest({
      method,
      url,
      headers: options.headers,
      body: options.body,
      ca: this.ca,
      timeoutMs,
    });
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const text = answer.body.toString('utf8');
    try {
      return { status: answer.status, headers, body: (text ? JSON.parse(text) : {}) as T };
    } catch {
      throw new Error(
        `${method} ${new URL(url).host} answered ${answer.status} with a body that is not JSON`,
      );
    }
  }
}
