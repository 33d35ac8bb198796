import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { MailerService, OutboxService } from '../lib';
import {
  bareMessageId,
  inBatches,
  listAll,
  messageIdCounts,
  OUTBOX_BACKENDS,
  outboxPlace,
  until,
} from './fixtures/outbox-kit';
import { createSettingsApp, type SettingsApp } from './fixtures/settings-app';
import { startSmtpPeer, type SmtpPeer } from './fixtures/smtp-peer';

const MESSAGES = 2_000;
const KILLS = 30;
const WORKER = join(__dirname, 'fixtures', 'outbox-crash-worker.js');
const RELAY_FROM = 'relay@vendor.example.com';
/** Compiled TypeScript, shared by every worker process of the file (test/fixtures/ts-require-hook.js). */
const cacheDir = mkdtempSync(join(tmpdir(), 'outbox-crash-ts-'));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

/**
 * One worker process at a time delivers the queue, with concurrency 1 (a kill interrupts at most
 * one message); each is SIGKILLed a few milliseconds after it delivered its first messages, and
 * the next one, loaded meanwhile, starts. Its jobs' locks are shortened (test/fixtures/outbox-bullmq-shim.js) so that
 * the stalled job of a killed worker is recovered within seconds.
 */
describe.each(OUTBOX_BACKENDS)('Worker processes SIGKILLed while delivering (%s)', (backend) => {
  jest.setTimeout(120_000);
  const place = outboxPlace(backend, 'crash');
  const encryptionKey = randomBytes(32).toString('base64');
  const children = new Set<ChildProcess>();
  let ctx: SettingsApp | undefined;
  let peer: SmtpPeer;
  let config: string;

  beforeAll(async () => {
    peer = await startSmtpPeer();
    const relay = { transport: `smtp://${peer.host}:${peer.port}`, from: RELAY_FROM };
    const outbox = place.options({ concurrency: 1, backoff: { baseDelayMs: 50, maxDelayMs: 200 } });
    config = JSON.stringify({ relay, outbox, encryptionKey });
    // This app only enqueues and reads the log: the children deliver.
    ctx = await createSettingsApp({ encryptionKey, relay, outbox: { ...outbox, worker: false } });
  });

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await ctx?.app.close();
    await peer?.close();
    await place.drop();
  });

  interface WorkerProcess {
    child: ChildProcess;
    /** Starts its app; resolves once its worker runs. */
    go(): Promise<void>;
  }

  /** A worker process with its modules loaded, waiting to start (loading takes the longest). */
  async function loadWorker(): Promise<WorkerProcess> {
    const child = spawn(process.execPath, [WORKER, config], {
      env: { ...process.env, TS_REQUIRE_HOOK_CACHE: cacheDir },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.add(child);
    child.once('exit', () => children.delete(child));
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const lines = createInterface({ input: child.stdout! });
    const line = (wanted: string) =>
      new Promise<void>((resolve, reject) => {
        lines.on('line', (text) => text === wanted && resolve());
        child.once('exit', (code) => reject(new Error(`worker exited (${code}): ${stderr}`)));
      });
    await line('loaded');
    return {
      child,
      go: () => {
        const ready = line('ready');
        child.stdin!.write('go\n');
        return ready;
      },
    };
  }

  async function kill(child: ChildProcess): Promise<void> {
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  it(`loses none of ${MESSAGES} messages over ${KILLS} kills; a duplicate repeats its Message-ID, and there are no more duplicates than kills`, async () => {
    const mailer = ctx!.app.get(MailerService);
    const outbox = ctx!.app.get(OutboxService);
    const enqueued = await inBatches(MESSAGES, 100, (i) =>
      mailer.enqueue({ to: `user${i}@example.com`, subject: `Crash ${i}`, text: `Body ${i}` }),
    );
    expect(new Set(enqueued.map((result) => result.id)).size).toBe(MESSAGES);

    let kills = 0;
    let next = loadWorker();
    while (kills < KILLS) {
      const worker = await next;
      await worker.go();
      // The next process loads while this one delivers.
      next = loadWorker();
      // Should a test fail, afterAll kills it while nobody awaits it.
      next.catch(() => undefined);
      // Killed mid-stream: after it delivered a few messages (a new life's first ones may be the
      // stalled job of the previous one), at a random moment.
      const target = peer.messages.length + 2 + Math.floor(Math.random() * 20);
      await until(() => peer.messages.length >= target, 'the worker to deliver', 15_000);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 15));
      await kill(worker.child);
      kills++;
    }
    const deliveredByKilled = peer.messages.length;

    const last = await next;
    await last.go();
    await until(
      () => messageIdCounts(peer.messages).size >= MESSAGES,
      `all ${MESSAGES} Message-IDs at the server`,
      60_000,
    );
    await until(
      async () => (await outbox.summary('default')).counts.sent === MESSAGES,
      'every message logged as sent',
      15_000,
    );
    const exited = once(last.child, 'exit');
    last.child.kill('SIGTERM');
    await exited;

    // Every kill happened while mail was going out.
    expect(kills).toBe(KILLS);
    expect(deliveredByKilled).toBeGreaterThan(2 * KILLS);

    const counts = messageIdCounts(peer.messages);
    const entries = await listAll(outbox, 'default');
    const logged = new Set(entries.map((entry) => bareMessageId(entry.messageId)));
    // 0 lost: every message the log knows reached the server, and nothing else did.
    expect(logged.size).toBe(MESSAGES);
    expect(new Set(counts.keys())).toEqual(logged);
    // A duplicate is the same message again, with its Message-ID.
    const subjects = new Map<string, Set<string | undefined>>();
    for (const message of peer.messages) {
      const id = bareMessageId(message.headers.messageId);
      subjects.set(id, (subjects.get(id) ?? new Set()).add(message.headers.subject));
    }
    expect([...subjects.values()].every((seen) => seen.size === 1)).toBe(true);
    const duplicates = peer.messages.length - MESSAGES;
    expect(duplicates).toBeLessThanOrEqual(kills);
    expect(entries.every((entry) => entry.status === 'sent')).toBe(true);
    const summary = await outbox.summary('default');
    expect(summary.counts).toMatchObject({ sent: MESSAGES, failed: 0, queued: 0, sending: 0 });
  });
});
