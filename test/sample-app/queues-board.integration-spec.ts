import { BullMQOtel } from 'bullmq-otel';
import {
  OutboxService,
  SMTP_SETTINGS_MODULE_OPTIONS,
  type SmtpSettingsModuleOptions,
} from '../../lib';
import { eventually } from '../fixtures/postgres';
import { startSampleApp, type SampleAppHarness } from '../fixtures/sample-app-harness';
import { globexTenant, sendRefusedNotification } from '../fixtures/refused-notification';
import { sampleOutboxPlace, type SampleOutboxPlace } from '../fixtures/sample-outbox-place';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';

const TOKEN = 'board-api-default-token-6f2a';
const ACME_TOKEN = 'board-api-acme-token-0d91';
const GLOBEX_TOKEN = 'board-api-globex-token-5b38';
const GLOBEX_PASSWORD = 'board-api-globex-password-27e4';
const GLOBEX = globexTenant(GLOBEX_TOKEN, GLOBEX_PASSWORD);
/** What globex's server answers its one recipient: the text its failed job's reason quotes. */
const GLOBEX_RECIPIENT = 'ledger-7c1e@globex.example';
const GLOBEX_REFUSAL = 'No mailbox here for the globex ledger (board-marker-93d0)';
const HOUR = 3_600_000;
/** One message through the queue to a refusal: milliseconds when quiet, seconds when busy. */
const MESSAGE_MS = 10_000;

interface BoardJob {
  id: string;
  failedReason?: string;
  data?: unknown;
}

interface BoardQueue {
  name: string;
  readOnlyMode: boolean;
  counts: Record<string, number>;
  jobs: BoardJob[];
}

describe.each(['redis', 'postgres'] as const)('The queue dashboard’s API (%s)', (backend) => {
  let outbox: SampleOutboxPlace;
  let h: SampleAppHarness;
  let peer: SmtpPeer;
  /** The default tenant's message, due in an hour. */
  let laterId: string;

  beforeAll(async () => {
    outbox = await sampleOutboxPlace(backend, 'board_api', Buffer.alloc(32, 3).toString('base64'));
    peer = await startSmtpPeer({
      users: { [GLOBEX.username]: GLOBEX_PASSWORD },
      serverOptions: { allowInsecureAuth: true },
      onRcptTo: (address) =>
        address === GLOBEX_RECIPIENT ? { code: 550, message: GLOBEX_REFUSAL } : undefined,
    });
    // Telemetry on too, as an operator runs it: BullMQ gets bullmq-otel beside the board.
    h = await startSampleApp(
      {
        ...outbox.env,
        ADMIN_TOKENS: `${ACME_TOKEN}:acme,${GLOBEX_TOKEN}:globex`,
        OTEL: '1',
        OTEL_TRACES_EXPORTER: 'none',
      },
      TOKEN,
    );
    ({ id: laterId } = await h.started.app
      .get(OutboxService)
      .enqueue(
        { to: 'later@example.com', subject: 'Later', text: 'Due in an hour.' },
        { delay: HOUR },
      ));
  });
  afterAll(async () => {
    await h?.close();
    await peer?.close();
    await outbox?.drop();
  });

  const queues = async (token: string | null, query = '') => {
    const res = await h.call('GET', `/admin/queues/api/queues${query}`, undefined, token);
    return { status: res.status, queues: (res.body?.queues ?? []) as BoardQueue[], text: res.text };
  };
  /** A queue's jobs in one state, as the board's page asks for them. */
  const listed = (token: string, queue: string, status: string) =>
    queues(
      token,
      `?activeQueue=${encodeURIComponent(queue)}&status=${status}&page=1&jobsPerPage=50`,
    );

  /** Globex's message, failed on its server's 550: the id of its job, as the full view shows it. */
  async function globexFailure(): Promise<string> {
    const id = await sendRefusedNotification(h, peer, GLOBEX, {
      to: GLOBEX_RECIPIENT,
      subject: 'Globex ledger',
      text: 'Quarterly figures.',
    });
    await eventually(
      async () => {
        const { queues: full } = await listed(TOKEN, 'smtp-outbox', 'failed');
        return full[0]?.jobs.some((job) => job.id === id) ?? false;
      },
      'globex’s job among the failed ones',
      MESSAGE_MS,
    );
    return id;
  }

  it('logs where the dashboard is', () => {
    expect(h.logger.text).toContain(
      `Queue dashboard (Bull Board): ${h.started.urls.base}/admin/queues (admin token; read-only but for the default tenant's)`,
    );
  });

  it('hands BullMQ bullmq-otel for its own spans while telemetry is on', () => {
    const options = h.started.app.get<SmtpSettingsModuleOptions>(SMTP_SETTINGS_MODULE_OPTIONS);
    expect(options.outbox?.telemetry).toBeInstanceOf(BullMQOtel);
  });

  it('answers 401 without a token and 403 with a wrong one', async () => {
    expect((await queues(null)).status).toBe(401);
    expect((await queues('not-a-token')).status).toBe(403);
  });

  it('shows the default tenant’s admin the outbox queue with its delayed message, writable', async () => {
    const { status, queues: shown } = await queues(TOKEN);
    expect(status).toBe(200);
    expect(shown).toEqual([expect.objectContaining({ name: 'smtp-outbox', readOnlyMode: false })]);
    expect(shown[0]!.counts.delayed).toBe(1);
  });

  it('shows another tenant’s admin the queue read-only, and refuses its writes', async () => {
    const { status, queues: shown } = await queues(ACME_TOKEN);
    expect(status).toBe(200);
    expect(shown).toEqual([
      expect.objectContaining({ name: 'read-only:acme:smtp-outbox', readOnlyMode: true }),
    ]);
    const pause = await h.call(
      'PUT',
      '/admin/queues/api/queues/smtp-outbox/pause',
      undefined,
      ACME_TOKEN,
    );
    expect(pause.status).toBe(403);
  });

  it('shows another tenant’s admin only its own messages: no other tenant’s job, id or failed reason', async () => {
    const globexId = await globexFailure();
    const { queues: full } = await listed(TOKEN, 'smtp-outbox', 'failed');
    const failed = full[0]!.jobs.find((job) => job.id === globexId);
    expect(failed?.failedReason).toContain(GLOBEX_REFUSAL);

    const { id: acmeId } = await h.started.app
      .get(OutboxService)
      .enqueue(
        { to: 'ops@acme.example', subject: 'Acme later', text: 'Due in an hour.' },
        { delay: HOUR, tenant: 'acme' },
      );
    const [view] = (await queues(ACME_TOKEN)).queues;
    expect(view).toBeDefined();
    // Counts of acme's own messages only: not the default tenant's delayed one, not globex's failure.
    expect(view!.counts).toMatchObject({ delayed: 1, failed: 0 });

    const seen: string[] = [];
    for (const status of ['latest', 'failed', 'delayed', 'waiting', 'active', 'completed']) {
      const page = await listed(ACME_TOKEN, view!.name, status);
      expect(page.status).toBe(200);
      seen.push(page.text);
      const ids = page.queues[0]!.jobs.map((job) => job.id);
      if (status === 'latest' || status === 'delayed') expect(ids).toEqual([acmeId]);
      else expect(ids).toEqual([]);
    }
    const base = `/admin/queues/api/queues/${encodeURIComponent(view!.name)}`;
    for (const path of [`/${globexId}`, `/${globexId}/logs`, `/${globexId}/flow`, `/${laterId}`]) {
      const res = await h.call('GET', base + path, undefined, ACME_TOKEN);
      seen.push(res.text);
      if (!path.endsWith('/logs')) expect(res.status).toBe(404);
    }
    // Its own job, opened: its id and age, nothing else of the message.
    const own = await h.call('GET', `${base}/${acmeId}`, undefined, ACME_TOKEN);
    expect(own.status).toBe(200);
    expect(own.body.job).toMatchObject({ id: acmeId, data: { id: acmeId }, returnValue: null });
    // Its options but for attempts and delay: a priority or lifo would say who else was sending.
    expect(own.body.job.opts).toEqual({ attempts: expect.any(Number), delay: HOUR });
    expect(own.body.job.priority).toBeUndefined();
    expect(own.text).not.toContain('ops@acme.example');
    for (const text of seen) {
      expect(text).not.toContain(globexId);
      expect(text).not.toContain(laterId);
      expect(text).not.toContain(GLOBEX_REFUSAL);
      expect(text).not.toContain(GLOBEX_RECIPIENT);
    }
  });
});
