/**
 * autocannon in a child process, so that the load generator does not share the event loop (or
 * the core) of the app under measurement. One child serves every round of a benchmark.
 */
import autocannon from 'autocannon';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { latencySummary } from './stats';

export interface HttpLoadOptions {
  url: string;
  connections: number;
  durationSec: number;
  headers?: Record<string, string>;
  /** A header whose value changes with every request, cycling through `values` (a caller each). */
  rotate?: { header: string; values: string[] };
  /** Also time every 2xx response to the microsecond (autocannon's percentiles are whole ms). */
  exact?: boolean;
}

export interface HttpLoadResult {
  requests: number;
  reqPerSec: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  bytesPerResponse: number;
  /** With `exact`: percentiles of the 2xx responses' times, in fractional ms. */
  exact?: { p50: number; p99: number };
}

export class HttpLoadClient {
  private constructor(private readonly child: ChildProcess) {}

  static async start(): Promise<HttpLoadClient> {
    const child = fork(__filename, ['--http-load'], { execArgv: [], stdio: 'inherit' });
    await once(child, 'spawn');
    return new HttpLoadClient(child);
  }

  async run(options: HttpLoadOptions): Promise<HttpLoadResult> {
    const reply = once(this.child, 'message') as Promise<[HttpLoadResult | { error: string }]>;
    this.child.send(options);
    const [result] = await reply;
    if ('error' in result) throw new Error(result.error);
    return result;
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.disconnect();
    await exited;
  }
}

function serve(): void {
  process.on('message', (options: HttpLoadOptions) => {
    const { rotate } = options;
    let next = 0;
    const times: number[] = [];
    const done = (error: unknown, result: autocannon.Result) => {
      if (error) return process.send!({ error: String(error) });
      process.send!({
        requests: result.requests.total,
        reqPerSec: result.requests.total / result.duration,
        p50: result.latency.p50,
        p99: result.latency.p99,
        non2xx: result.non2xx,
        errors: result.errors + result.timeouts,
        bytesPerResponse: result.throughput.total / Math.max(1, result.requests.total),
        ...(options.exact && { exact: latencySummary(times) }),
      } satisfies HttpLoadResult);
    };
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: options.durationSec,
        headers: options.headers,
        ...(rotate && {
          requests: [
            {
              setupRequest: (req) => ({
                ...req,
                headers: {
                  ...req.headers,
                  [rotate.header]: rotate.values[next++ % rotate.values.length]!,
                },
              }),
            },
          ],
        }),
      },
      done,
    );
    if (options.exact) {
      instance.on('response', (_client, status, _bytes, time) => {
        if (status >= 200 && status < 300) times.push(time);
      });
    }
  });
  process.on('disconnect', () => process.exit(0));
}

if (require.main === module && process.argv.includes('--http-load')) serve();
