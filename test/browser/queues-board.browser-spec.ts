import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { OutboxService } from '../../lib';
import { dropRedisKeys, TEST_REDIS_URL } from '../fixtures/outbox-kit';
import { eventually, uniqueName } from '../fixtures/postgres';
import { startSampleApp, type SampleAppHarness } from '../fixtures/sample-app-harness';
import { globexTenant, sendRefusedNotification } from '../fixtures/refused-notification';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';
import { launchChromium } from './chromium';

const TOKEN = 'browser-board-default-token-91c3';
const ACME_TOKEN = 'browser-board-acme-token-4e7a';
const GLOBEX_TOKEN = 'browser-board-globex-token-8d05';
const GLOBEX_PASSWORD = 'browser-board-globex-password-61fa';
const GLOBEX = globexTenant(GLOBEX_TOKEN, GLOBEX_PASSWORD);
const GLOBEX_RECIPIENT = 'payroll-3b9e@globex.example';
const GLOBEX_REFUSAL = 'No mailbox here for globex payroll (board-marker-c4a7)';
const ACME_SUBJECT = 'Board: acme’s own reminder';
const SUBJECT = 'Board: the invoice of March';
const RECIPIENT = 'board-recipient@globex.example';
const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts');
const HOUR = 3_600_000;
/** One message through the queue to a refusal: milliseconds when quiet, seconds when busy. */
const MESSAGE_MS = 10_000;

describe('Bull Board at /admin/queues, behind the admin token, in Chromium', () => {
  const prefix = uniqueName('browser_board');
  let h: SampleAppHarness;
  let browser: Browser;
  let board: string;
  let peer: SmtpPeer;
  let jobId: string;
  let acmeJobId: string;
  let globexJobId: string;

  beforeAll(async () => {
    peer = await startSmtpPeer({
      users: { [GLOBEX.username]: GLOBEX_PASSWORD },
      serverOptions: { allowInsecureAuth: true },
      onRcptTo: (address) =>
        address === GLOBEX_RECIPIENT ? { code: 550, message: GLOBEX_REFUSAL } : undefined,
    });
    h = await startSampleApp(
      {
        REDIS_URL: TEST_REDIS_URL,
        OUTBOX_PREFIX: prefix,
        ADMIN_TOKENS: `${ACME_TOKEN}:acme,${GLOBEX_TOKEN}:globex`,
      },
      TOKEN,
    );
    board = `${h.started.urls.base}/admin/queues`;
    const outbox = h.started.app.get(OutboxService);
    // Due in an hour: it waits in the delayed list, where the board offers its actions.
    ({ id: jobId } = await outbox.enqueue(
      { to: RECIPIENT, subject: SUBJECT, text: 'Due later.' },
      { delay: HOUR },
    ));
    ({ id: acmeJobId } = await outbox.enqueue(
      { to: 'ops@acme.example', subject: ACME_SUBJECT, text: 'Due later.' },
      { delay: HOUR, tenant: 'acme' },
    ));
    globexJobId = await globexFailure();
    browser = await launchChromium();
    await mkdir(ARTIFACTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await h?.close();
    await peer?.close();
    await dropRedisKeys(`${prefix}:*`);
  });

  /** Globex's message, failed on its server's 550 (its reply in the job's failed reason). */
  async function globexFailure(): Promise<string> {
    const id = await sendRefusedNotification(h, peer, GLOBEX, {
      to: GLOBEX_RECIPIENT,
      subject: 'Globex payroll',
      text: 'March.',
    });
    await eventually(
      async () => {
        const res = await h.call('GET', `/admin/queues/api/queues/smtp-outbox/${id}`);
        return res.body?.status === 'failed';
      },
      'globex’s job failed',
      MESSAGE_MS,
    );
    return id;
  }

  /** A fresh browser signed in through the board's own form. */
  async function signIn(token: string): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(board);
    await page.getByLabel('Admin token').fill(token);
    await Promise.all([
      page.waitForURL(`${board}/`),
      page.getByRole('button', { name: 'Sign in' }).click(),
    ]);
    return { context, page };
  }

  /** The queue's jobs in one state, once the board has drawn the one expected there. */
  async function openJobs(page: Page, queue: string, status: string, id: string): Promise<void> {
    await page.goto(`${board}/queue/${encodeURIComponent(queue)}?status=${status}`);
    await page.getByText(id).first().waitFor();
  }

  /** A request from the board's own page, as its script would send it (the cookie goes along). */
  function fromPage(page: Page, method: string, path: string): Promise<number> {
    return page.evaluate(
      async ([m, url]) => (await fetch(url!, { method: m })).status,
      [method, `${board}${path}`],
    );
  }

  it('refuses the board without a token: the sign-in form (401), and 401 from its API', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const res = await page.goto(board);
      expect(res?.status()).toBe(401);
      await page.getByLabel('Admin token').waitFor();
      expect(await page.locator('#root').count()).toBe(0);
      expect((await context.request.get(`${board}/api/queues`)).status()).toBe(401);
      expect((await context.request.put(`${board}/api/queues/smtp-outbox/pause`)).status()).toBe(
        401,
      );

      await page.getByLabel('Admin token').fill('not-a-token');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect(page.getByRole('alert').textContent()).resolves.toBe(
        'That admin token is not valid.',
      );
      expect(await context.cookies()).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('keeps the token in an HttpOnly, SameSite=Strict cookie scoped to /admin/queues', async () => {
    const { context } = await signIn(ACME_TOKEN);
    try {
      expect(await context.cookies()).toEqual([
        expect.objectContaining({
          name: 'queues_board_token',
          path: '/admin/queues',
          httpOnly: true,
          sameSite: 'Strict',
        }),
      ]);
      // Not sent anywhere else in the app: the admin API still wants its bearer token.
      expect((await context.request.get(`${h.started.urls.base}/smtp-settings`)).status()).toBe(
        401,
      );
    } finally {
      await context.close();
    }
  });

  it('shows another tenant’s admin its own messages only, read-only, without the messages themselves', async () => {
    const { context, page } = await signIn(ACME_TOKEN);
    try {
      await openJobs(page, 'read-only:acme:smtp-outbox', 'delayed', acmeJobId);
      await page.screenshot({
        path: join(ARTIFACTS, 'queues-board-read-only.png'),
        fullPage: true,
      });
      for (const action of ['Promote all', 'Clean all', 'Retry all']) {
        expect(await page.getByRole('button', { name: action }).count()).toBe(0);
      }
      const text = await page.locator('body').innerText();
      for (const other of [SUBJECT, RECIPIENT, ACME_SUBJECT, jobId, globexJobId]) {
        expect(text).not.toContain(other);
      }

      const api = await context.request.get(`${board}/api/queues`);
      const { queues } = (await api.json()) as {
        queues: { name: string; readOnlyMode: boolean; allowRetries: boolean }[];
      };
      expect(
        queues.map(({ name, readOnlyMode, allowRetries }) => ({
          name,
          readOnlyMode,
          allowRetries,
        })),
      ).toEqual([{ name: 'read-only:acme:smtp-outbox', readOnlyMode: true, allowRetries: false }]);
      // Every write is refused, on either view of the queue, and the job is still there.
      expect(await fromPage(page, 'PUT', '/api/queues/read-only%3Aacme%3Asmtp-outbox/pause')).toBe(
        403,
      );
      expect(await fromPage(page, 'PUT', `/api/queues/smtp-outbox/${jobId}/promote`)).toBe(403);
      expect(await fromPage(page, 'PUT', '/api/queues/pause')).toBe(403);
      expect(await fromPage(page, 'DELETE', `/api/queues/smtp-outbox/${jobId}`)).toBe(403);
      expect(await h.started.app.get(OutboxService).get(jobId)).toMatchObject({ status: 'queued' });
    } finally {
      await context.close();
    }
  });

  it('shows another tenant’s admin no other tenant’s failure, neither its job nor its reply', async () => {
    const { context, page } = await signIn(ACME_TOKEN);
    try {
      // The same page the default tenant's admin sees globex's failure on, with its reply.
      const full = await signIn(TOKEN);
      await openJobs(full.page, 'smtp-outbox', 'failed', globexJobId);
      await full.context.close();

      const leaks = (text: string) =>
        [globexJobId, GLOBEX_REFUSAL, GLOBEX_RECIPIENT].filter((other) => text.includes(other));
      for (const status of ['failed', 'latest']) {
        // What the page's own script fetches, then what it draws from it.
        const [answer] = await Promise.all([
          page.waitForResponse((r) => r.url().includes(`/api/queues?`) && r.status() === 200),
          page.goto(`${board}/queue/read-only%3Aacme%3Asmtp-outbox?status=${status}`),
        ]);
        expect(leaks(await answer.text())).toEqual([]);
        if (status === 'latest') await page.getByText(acmeJobId).first().waitFor();
        expect(leaks(await page.locator('body').innerText())).toEqual([]);
      }
      // Its job page, opened by id: the board's API answers it as an unknown job.
      const [job] = await Promise.all([
        page.waitForResponse((r) => {
          const path = new URL(r.url()).pathname;
          return path.includes('/api/queues/') && path.endsWith(`/${globexJobId}`);
        }),
        page.goto(`${board}/queue/read-only%3Aacme%3Asmtp-outbox/${globexJobId}`),
      ]);
      expect(job.status()).toBe(404);
      expect(leaks(await job.text())).toEqual([]);
      expect(leaks(await page.locator('body').innerText())).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('gives the default tenant’s admin the actions, and they work', async () => {
    const { context, page } = await signIn(TOKEN);
    try {
      await openJobs(page, 'smtp-outbox', 'delayed', jobId);
      await page.screenshot({ path: join(ARTIFACTS, 'queues-board-full.png'), fullPage: true });
      expect(await page.getByRole('button', { name: 'Promote all' }).isEnabled()).toBe(true);
      expect(await page.getByRole('button', { name: 'Clean all' }).isEnabled()).toBe(true);
      expect(await page.locator('body').innerText()).toContain(SUBJECT);

      const { queues } = (await (await context.request.get(`${board}/api/queues`)).json()) as {
        queues: { name: string; readOnlyMode: boolean; isPaused: boolean }[];
      };
      expect(queues.map(({ name, readOnlyMode }) => ({ name, readOnlyMode }))).toEqual([
        { name: 'smtp-outbox', readOnlyMode: false },
      ]);
      expect(await fromPage(page, 'PUT', '/api/queues/smtp-outbox/pause')).toBe(200);
      expect(await fromPage(page, 'PUT', '/api/queues/smtp-outbox/resume')).toBe(200);
    } finally {
      await context.close();
    }
  });
});
