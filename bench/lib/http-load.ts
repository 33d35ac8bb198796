/**
 * autocannon in a child process, so that the load generator does not share the event loop (or
 * the core) of the app under measurement. One child serves every round of a benchmark.
 */
import autocannon from 'autocannon';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

export interface HttpLoadOptions {
  url: string;
  connections: number;
  durationSec: number;
  headers?: Record<string, string>;
}

export interface HttpLoadResult {
  requests: number;
  reqPerSec: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  bytesPerResponse: number;
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
    autocannon({
      url: options.url,
      connections: options.connections,
      duration: options.durationSec,
      headers: options.headers,
    }).then(
      (result) =>
        process.send!({
          requests: result.requests.total,
          reqPerSec: result.requests.total / result.duration,
          p50: result.latency.p50,
          p99: result.latency.p99,
          non2xx: result.non2xx,
          errors: result.errors + result.timeouts,
          bytesPerResponse: result.throughput.total / Math.max(1, result.requests.total),
        } satisfies HttpLoadResult),
      (error: unknown) => process.send!({ error: String(error) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
}

if (require.main === module && process.argv.includes('--http-load')) serve();
