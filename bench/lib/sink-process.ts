/**
 * The SMTP sinks run in a child process of their own, so that the process under measurement spends
 * its core on sending only, and the sinks' parsing (the same for every variant) does not water
 * down the ratios. The parent talks to them over IPC.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { startSmtpSink, type SmtpSink } from '../../test/fixtures/smtp-peer';
import { startIdSink, type IdSink } from './id-sink';

export interface SinkOptions {
  users?: Record<string, string>;
  /** Count ids 0..ids-1 from each message's id header (bench/lib/id-sink.ts). */
  ids?: number;
}

export interface SinkStats {
  accepted: number;
  connections: number;
  openConnections: number;
  errors: number;
  /** Messages whose id header was missing or out of range (id sinks only). */
  unknown: number;
}

export interface RemoteSink {
  readonly host: string;
  readonly port: number;
  stats(): Promise<SinkStats>;
  /** How often each id arrived (id sinks only). */
  counts(): Promise<Uint16Array>;
}

type Request =
  | { seq: number; cmd: 'start'; options: SinkOptions }
  | { seq: number; cmd: 'stats' | 'counts'; sink: number }
  | { seq: number; cmd: 'close' };
type Reply = { seq: number; result?: unknown; error?: string };

export class SinkProcess {
  private seq = 0;
  private readonly pending = new Map<number, (reply: Reply) => void>();

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (reply: Reply) => {
      this.pending.get(reply.seq)?.(reply);
      this.pending.delete(reply.seq);
    });
  }

  static async start(): Promise<SinkProcess> {
    // No inherited flags: a --cpu-prof of the benchmark must not profile the sinks too.
    const child = fork(__filename, ['--sink-process'], { execArgv: [], stdio: 'inherit' });
    await once(child, 'spawn');
    return new SinkProcess(child);
  }

  async sink(options: SinkOptions = {}): Promise<RemoteSink> {
    const { index, host, port } = await this.call<{ index: number; host: string; port: number }>({
      cmd: 'start',
      options,
    });
    return {
      host,
      port,
      stats: () => this.call<SinkStats>({ cmd: 'stats', sink: index }),
      counts: async () =>
        Uint16Array.from(await this.call<number[]>({ cmd: 'counts', sink: index })),
    };
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = once(this.child, 'exit');
    await this.call({ cmd: 'close' }).catch(() => undefined);
    await exited;
  }

  private call<T>(request: DistributiveOmit<Request, 'seq'>): Promise<T> {
    const seq = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(seq, (reply) =>
        reply.error === undefined ? resolve(reply.result as T) : reject(new Error(reply.error)),
      );
      this.child.send({ ...request, seq });
    });
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** The child: starts sinks on request and reports on them. */
function serve(): void {
  const sinks: Array<SmtpSink | IdSink> = [];
  const reply = (message: Reply) => process.send!(message);
  const handle = async (request: Request): Promise<unknown> => {
    switch (request.cmd) {
      case 'start': {
        const { ids, users } = request.options;
        const sink = ids ? await startIdSink({ ids, users }) : await startSmtpSink({ users });
        sinks.push(sink);
        return { index: sinks.length - 1, host: sink.host, port: sink.port };
      }
      case 'stats': {
        const sink = sinks[request.sink]!;
        return {
          accepted: sink.accepted,
          connections: sink.connections,
          openConnections: sink.openConnections,
          errors: sink.errors.length,
          unknown: 'unknown' in sink ? sink.unknown : 0,
        } satisfies SinkStats;
      }
      case 'counts': {
        const sink = sinks[request.sink]!;
        return 'counts' in sink ? Array.from(sink.counts) : [];
      }
      case 'close':
        await Promise.all(sinks.map((s) => s.close()));
        return null;
    }
  };
  process.on('message', (request: Request) => {
    handle(request).then(
      (result) => {
        reply({ seq: request.seq, result });
        if (request.cmd === 'close') process.disconnect();
      },
      (error: unknown) => reply({ seq: request.seq, error: String(error) }),
    );
  });
  // The parent went away without closing: do not linger.
  process.on('disconnect', () => process.exit(0));
}

if (require.main === module && process.argv.includes('--sink-process')) serve();
