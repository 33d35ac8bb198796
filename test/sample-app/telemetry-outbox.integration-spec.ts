import { createServer, type Server } from 'node:http';
import { dropRedisKeys, TEST_REDIS_URL } from '../fixtures/outbox-kit';
import { eventually, uniqueName } from '../fixtures/postgres';
import { startSampleApp, type SampleAppHarness } from '../fixtures/sample-app-harness';

const TOKEN = 'telemetry-outbox-token-3a9d';
/** One message through the outbox to the dev inbox, with room for a busy machine. */
const MESSAGE_MS = 10_000;

interface OtlpTraces {
  resourceSpans: { scopeSpans: { scope: { name: string }; spans: { name: string }[] }[] }[];
}

/** An OTLP/HTTP collector on loopback that keeps the spans it receives, by scope. */
async function startCollector(): Promise<{
  url: string;
  spans: Map<string, string[]>;
  server: Server;
}> {
  const spans = new Map<string, string[]>();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        for (const resource of (JSON.parse(body) as OtlpTraces).resourceSpans) {
          for (const { scope, spans: list } of resource.scopeSpans) {
            spans.set(scope.name, [...(spans.get(scope.name) ?? []), ...list.map((s) => s.name)]);
          }
        }
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, spans, server };
}

describe('The sample app with telemetry and the outbox (Redis)', () => {
  const prefix = uniqueName('telemetry_outbox');
  let collector: Awaited<ReturnType<typeof startCollector>>;
  let h: SampleAppHarness | undefined;

  beforeAll(async () => {
    collector = await startCollector();
    h = await startSampleApp(
      {
        REDIS_URL: TEST_REDIS_URL,
        OUTBOX_PREFIX: prefix,
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      },
      TOKEN,
    );
  });
  afterAll(async () => {
    await h?.close();
    await dropRedisKeys(`${prefix}:*`);
    await new Promise((done) => collector?.server.close(done));
  });

  it('counts a queued notification once delivered, and sends the spans of it and of BullMQ to OTLP', async () => {
    const queued = await h!.call('POST', '/notifications', {
      to: 'someone@example.com',
      subject: 'Queued and counted',
      text: 'Through the outbox, with BullMQ traced.',
    });
    expect(queued.body).toEqual({ id: expect.any(String), status: 'queued' });
    // A counter sends no event: read it until the worker's outcome is in, as Prometheus would.
    const sent = /^smtp_settings_messages_total\{[^}]*smtp_settings_outcome="sent"[^}]*\} 1$/m;
    await eventually(
      async () => sent.test((await h!.call('GET', '/metrics')).text),
      'the sent message in /metrics',
      MESSAGE_MS,
    );
    const inbox = await h!.call('GET', '/inbox/messages', undefined, null);
    expect(inbox.body.messages.map((m: { subject: string }) => m.subject)).toEqual([
      'Queued and counted',
    ]);

    // Closing the app shuts the SDK down, which flushes what the batch still holds.
    const app = h!;
    h = undefined;
    await app.close();
    expect(collector.spans.get('nest-smtp-settings')).toEqual(
      expect.arrayContaining(['smtp.enqueue', 'smtp.attempt']),
    );
    expect(collector.spans.get('nest-smtp-settings-sample')?.length).toBeGreaterThan(0);
  });
});
