/**
 * @long-running: 30 worker processes started and killed on each backend, minutes in all; started
 * first, so that the run does not end waiting for it alone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { MailerService, OutboxService } from '../../lib';
import {
  bareMessageId,
  inBatches,
  listAll,
  messageIdCounts,
  OUTBOX_BACKENDS,
  outboxPlace,
  until,
} from '../fixtures/outbox-kit';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';

const MESSAGES = 2_000;
const KILLS = 30;
/** The last worker is never killed: it may take several messages at once to drain the rest. */
const LAST_CONCURRENCY = 4;
/** Processes loading ahead of the one delivering: a load takes longer than a life between kills. */
const LOADING_AHEAD = 2;

// Budgets, 5–10 times what a quiet 2-core machine needs, so that only a hang fails the proof.
/** A message enqueued and delivered: about 10 ms, 15 ms on a busy machine. */
const PER_MESSAGE_MS = 60;
/** A worker's life (its app started, its first messages delivered, killed): 1–3 s. */
const PER_KILL_MS = 10_000;
/** The app, the SMTP peer, the first worker's load and the stalled jobs' locks (5 s) lapsing. */
const FIXED_MS = 30_000;
const TEST_TIMEOUT_MS = FIXED_MS + KILLS * PER_KILL_MS + MESSAGES * PER_MESSAGE_MS;
const WORKER = join(__dirname, '..', 'fixtures', 'outbox-crash-worker.js');
const RELAY_FROM = 'relay@vendor.example.com';
/** Compiled TypeScript, shared by every worker process of the file (test/fixtures/ts-require-hook.js). */
const cacheDir = mkdtempSync(join(tmpdir(), 'outbox-crash-ts-'));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

/**
 * One worker process at a time delivers the queue, with concurrency 1 (a kill interrupts at most
 * one message); each is SIGKILLed a few milliseconds after it delivered its first messages, and
 * the next one, loaded meanwhile, starts. Its jobs' locks are shortened (test/fixtures/outbox-bullmq-shim.js) so that
 * the stalled job of a killed worker is recovered within seconds. The last worker, never killed,
 * delivers what is left.
 */
describe.each(OUTBOX_BACKENDS)('Worker processes SIGKILLed while delivering (%s)', (backend) => {
  const place = outboxPlace(backend, 'crash');
  const encryptionKey = randomBytes(32).toString('base64');
  const children = new Set<ChildProcess>();
  let ctx: SettingsApp | undefined;
  let peer: SmtpPeer;
  let config: string;

  beforeAll(async () => {
    peer = await startSmtpPeer();
    const relay = { transport: `smtp://${peer.host}:${peer.port}`, from: RELAY_FROM };
    const outbox = place.options({
      concurrency: 1,
      // A killed worker's message keeps its place in its tenant's share until its job's lock lapses
      // (30 s on PostgreSQL): kills come faster than that, and this proof is about loss.
      tenantConcurrency: 100,
      backoff: { baseDelayMs: 50, maxDelayMs: 200 },
      // No message may fail for lateness while the proof runs, however slow the machine.
      retryWindowMs: 2 * TEST_TIMEOUT_MS,
    });
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
    /** Starts its app with these outbox options over the file's; resolves once its worker runs. */
    go(outbox?: { concurrency: number }): Promise<void>;
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
      go: (outbox) => {
        const ready = line('ready');
        child.stdin!.write(outbox ? `go ${JSON.stringify(outbox)}\n` : 'go\n');
        return ready;
      },
    };
  }

  async function kill(child: ChildProcess): Promise<void> {
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  /** The next worker to start; the ones after it load meanwhile. */
  const loading: Promise<WorkerProcess>[] = [];
  async function nextWorker(): Promise<WorkerProcess> {
    const load = () => {
      const worker = loadWorker();
      // Should a test fail, afterAll kills it while nobody awaits it.
      worker.catch(() => undefined);
      loading.push(worker);
    };
    // The first load compiles the library into the cache that the others then read.
    if (loading.length === 0) {
      load();
      await loading[0];
    }
    while (loading.length < LOADING_AHEAD + 1) load();
    return loading.shift()!;
  }

  it(
    `loses none of ${MESSAGES} messages over ${KILLS} kills; a duplicate repeats its Message-ID, and there are no more duplicates than kills (takes minutes)`,
    async () => {
      const mailer = ctx!.app.get(MailerService);
      const outbox = ctx!.app.get(OutboxService);
      const enqueued = await inBatches(MESSAGES, 100, (i) =>
        mailer.enqueue({ to: `user${i}@example.com`, subject: `Crash ${i}`, text: `Body ${i}` }),
      );
      expect(new Set(enqueued.map((result) => result.id)).size).toBe(MESSAGES);

      let kills = 0;
      while (kills < KILLS) {
        const worker = await nextWorker();
        await worker.go();
        // Killed mid-stream: after it delivered a few messages (a new life's first ones may be the
        // stalled job of the previous one), at a random moment.
        const target = peer.messages.length + 2 + Math.floor(Math.random() * 20);
        await until(() => peer.messages.length >= target, 'the worker to deliver', PER_KILL_MS);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 15));
        await kill(worker.child);
        kills++;
      }
      const deliveredByKilled = peer.messages.length;

      const [loaded, ...spares] = loading.splice(0);
      const last = await loaded!;
      await last.go({ concurrency: LAST_CONCURRENCY });
      // Loaded for lives that the kills no longer need.
      for (const spare of spares) await kill((await spare).child);
      const left = MESSAGES - messageIdCounts(peer.messages).size;
      await until(
        () => messageIdCounts(peer.messages).size >= MESSAGES,
        `all ${MESSAGES} Message-IDs at the server`,
        FIXED_MS + left * PER_MESSAGE_MS,
      );
      await until(
        async () => (await outbox.summary('default')).counts.sent === MESSAGES,
        'every message logged as sent',
        FIXED_MS,
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
    },
    TEST_TIMEOUT_MS,
  );
});
