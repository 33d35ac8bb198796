import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import { request } from 'node:https';

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

  private send<T>(
    method: string,
    url: string,
    options: NetworkRequestOptions = {},
    timeout = 30_000,
  ): Promise<NetworkResponse<T>> {
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        { method, headers: options.headers, ca: this.ca, timeout },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const headers: Record<string, string> = {};
            for (const [name, value] of Object.entries(res.headers)) {
              if (value !== undefined)
                headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
            }
            try {
              resolve({
                status: res.statusCode ?? 0,
                headers,
                body: (text ? JSON.parse(text) : {}) as T,
              });
            } catch {
              reject(
                new Error(
                  `${method} ${new URL(url).host} answered ${res.statusCode} with a body that is not JSON`,
                ),
              );
            }
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${new URL(url).host} timed out`)));
      req.on('error', reject);
      req.end(options.body);
    });
  }
}
