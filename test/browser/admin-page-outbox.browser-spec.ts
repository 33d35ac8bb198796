import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { dropRedisKeys, TEST_REDIS_URL } from '../fixtures/outbox-kit';
import { testSchema, TEST_DATABASE_URL, uniqueName, type TestSchema } from '../fixtures/postgres';
import { startSampleApp, type SampleAppHarness } from '../fixtures/sample-app-harness';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';
import { launchChromium } from './chromium';
import { saveAnyway } from './save-anyway';

const TOKEN = 'browser-outbox-token-5a3f';
/** Tenants of their own, so that what waits for them leaves the default tenant's outbox alone. */
const TOKEN_HELD = 'browser-outbox-held-token-2d8e';
const TOKEN_DEFERRED = 'browser-outbox-deferred-token-61fa';
const TOKEN_FLAKY = 'browser-outbox-flaky-token-0c4d';
const TOKEN_BACKUP = 'browser-outbox-backup-token-e71b';
/**
 * Refused with a temporary 451 as often as one outbox attempt tries (the transport's own retries),
 * then accepted: a message sent at the outbox's second attempt.
 */
const FLAKY_SENDER = 'flaky@umbrella.example';
/** The transport's attempts within one outbox attempt (the module's default `retry.attempts`). */
const TRANSPORT_ATTEMPTS = 3;
/** The sender the peer refuses as Gmail does a mailbox past its daily limit. */
const LIMITED_SENDER = 'limited@initech.example';
const RIGHT_PASSWORD = 'browser-outbox-right-7c21';
const WRONG_PASSWORD = 'browser-outbox-wrong-93be';
const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts');

/** The outbox's env for the sample app, in a prefix or schemas of this file's own. */
async function outboxEnv(
  backend: 'redis' | 'postgres',
): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  const prefix = uniqueName('browser_outbox');
  if (backend === 'redis') {
    return {
      env: { REDIS_URL: TEST_REDIS_URL, OUTBOX_PREFIX: prefix },
      drop: () => dropRedisKeys(`${prefix}:*`),
    };
  }
  const settings: TestSchema = testSchema('browser_settings');
  await settings.pool.query(`CREATE SCHEMA "${settings.name}"`);
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${settings.name}`);
  return {
    env: {
      DATABASE_URL: url.toString(),
      SMTP_SETTINGS_KEY: Buffer.alloc(32, 7).toString('base64'),
      OUTBOX: 'postgres',
      OUTBOX_PREFIX: prefix,
    },
    async drop() {
      await settings.pool.query(`DROP SCHEMA IF EXISTS "${prefix}" CASCADE`);
      await settings.drop();
    },
  };
}

describe('The admin page without the outbox, in Chromium', () => {
  let h: SampleAppHarness;
  let browser: Browser;

  beforeAll(async () => {
    h = await startSampleApp({}, TOKEN);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it('shows no outbox card and no held banner', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${h.started.urls.base}/?token=${TOKEN}`);
      await page.locator('#app').waitFor();
      await page.waitForLoadState('networkidle');
      expect(await page.locator('#outbox-card').isHidden()).toBe(true);
      expect(await page.locator('#outbox-held').isHidden()).toBe(true);
      expect(await page.locator('#outbox-waiting').isHidden()).toBe(true);
    } finally {
      await page.close();
    }
  });
});

describe.each(['redis', 'postgres'] as const)(
  'The admin page with the outbox (%s), in Chromium',
  (backend) => {
    let h: SampleAppHarness;
    let peer: SmtpPeer;
    let browser: Browser;
    let drop: () => Promise<void>;
    let flakyRefusals = 0;

    beforeAll(async () => {
      await mkdir(ARTIFACTS, { recursive: true });
      const place = await outboxEnv(backend);
      drop = place.drop;
      peer = await startSmtpPeer({
        users: { 'page-user': RIGHT_PASSWORD },
        serverOptions: { allowInsecureAuth: true },
        rejectRecipients: (address) => (address.startsWith('nobody@') ? 550 : undefined),
        onMailFrom: (address) => {
          if (address === FLAKY_SENDER && flakyRefusals < TRANSPORT_ATTEMPTS) {
            flakyRefusals++;
            return { code: 451, message: '4.3.0 Temporary local problem, try again' };
          }
          return address === LIMITED_SENDER
            ? { code: 550, message: '5.4.5 Daily user sending limit exceeded.' }
            : undefined;
        },
      });
      h = await startSampleApp(
        {
          ...place.env,
          ADMIN_TOKENS: `${TOKEN_HELD}:northwind,${TOKEN_DEFERRED}:initech,${TOKEN_FLAKY}:umbrella,${TOKEN_BACKUP}:globex`,
        },
        TOKEN,
      );
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
      await h?.close();
      await peer?.close();
      await drop?.();
    });

    async function signedIn(token = TOKEN): Promise<Page> {
      const context = await browser.newContext({ viewport: { width: 1200, height: 1000 } });
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      page.on('dialog', (dialog) => void dialog.accept());
      await page.goto(`${h.started.urls.base}/?token=${token}`);
      await page.locator('#outbox-card').waitFor();
      return page;
    }

    const notify = (to: string, subject: string, token = TOKEN) =>
      h.call(
        'POST',
        '/notifications',
        { to, subject, text: 'Body that the page never shows' },
        token,
      );

    /** The row of the log with this subject, once the page shows it with `status`. */
    const row = (page: Page, subject: string, status: string) =>
      page.locator(`#outbox-log tbody tr[data-status="${status}"]`, { hasText: subject });

    /** Waits until the filtered log shows only rows of `status`. */
    const onlyStatus = (page: Page, status: string) =>
      page
        .locator(`#outbox-log tbody tr:not([data-status="${status}"])`)
        .first()
        .waitFor({ state: 'detached' });

    async function saveSettings(
      page: Page,
      password: string,
      senderEmail = 'noreply@acme.example',
    ): Promise<void> {
      await page.locator('#hostname').fill(peer.host);
      await page.locator('#port').fill(String(peer.port));
      await page.locator('#useTls').setChecked(false);
      await page.locator('#username').fill('page-user');
      await page.locator('#password').fill(password);
      await page.locator('#senderEmail').fill(senderEmail);
      if (password === WRONG_PASSWORD) return saveAnyway(page);
      await page.locator('#save').click();
      await page.locator('#form-status').getByText('Saved.').waitFor();
    }

    it('shows the send log and a chart of the last 24 hours, drawn as inline SVG', async () => {
      for (const subject of ['Report 1', 'Report 2', 'Report 3']) {
        expect((await notify('ada@example.com', subject)).status).toBe(202);
      }
      const page = await signedIn();
      const requested: string[] = [];
      page.on('request', (request) => requested.push(request.url()));
      try {
        await page.reload();
        for (const subject of ['Report 1', 'Report 2', 'Report 3']) {
          await row(page, subject, 'sent').waitFor();
        }
        const sent = row(page, 'Report 1', 'sent');
        expect(await sent.locator('td').nth(2).innerText()).toBe('ada@example.com');
        // The Message-ID is on hover, not in the list.
        expect(await sent.locator('td').nth(3).getAttribute('title')).toMatch(
          /^Message-ID: <[^>]+@example\.com>$/,
        );
        expect(await sent.innerText()).not.toMatch(/<[^>]+@example\.com>/);
        expect(await sent.locator('td').nth(5).innerText()).toBe('Delivered');
        expect(await sent.locator('button.retry').count()).toBe(0);
        expect(await page.locator('#outbox-card').innerText()).not.toContain('never shows');

        expect(Number(await page.locator('.count.sent strong').innerText())).toBeGreaterThanOrEqual(
          3,
        );
        const hours = page.locator('#outbox-chart svg g.hour');
        expect(await hours.count()).toBe(24);
        expect(Number(await hours.last().getAttribute('data-sent'))).toBeGreaterThanOrEqual(3);
        expect(await hours.last().locator('rect.bar.sent').count()).toBe(1);
        expect(await page.locator('#outbox-chart svg').getAttribute('aria-label')).toMatch(
          /^Last 24 hours: \d+ sent, \d+ failed, \d+ held$/,
        );
        expect(await page.locator('#outbox-held').isHidden()).toBe(true);
        expect(await page.locator('#outbox-waiting').isHidden()).toBe(true);
        // The chart is the page's own drawing: nothing came from another host.
        expect(requested.filter((url) => !url.startsWith(h.started.urls.base))).toEqual([]);
        await page.locator('#outbox-card').screenshot({
          path: join(ARTIFACTS, `admin-page-outbox-${backend}.png`),
        });
      } finally {
        await page.context().close();
      }
    });

    it('shows a banner while mail is held, with the reason, and the held mail goes out once the password is saved', async () => {
      const page = await signedIn();
      try {
        await saveSettings(page, WRONG_PASSWORD);
        expect((await notify('ada@example.com', 'Payslip 1')).status).toBe(202);
        expect((await notify('ada@example.com', 'Payslip 2')).status).toBe(202);

        // Part of the one status line at the top, red.
        const banner = page.locator('#route-banner.blocked #outbox-held');
        await banner.getByText('Mail is held: 2 messages are waiting.').waitFor();
        expect(await banner.innerText()).toContain('fix the settings below and save');
        // The reason, from the newest held message: the server refused the login. Its code is
        // behind the status line's Details, not in the sentence.
        expect(await banner.innerText()).not.toMatch(/\(EAUTH\)|\(535\)/);
        expect(await page.locator('#route-banner details').textContent()).toMatch(/EAUTH|535/);
        const held = row(page, 'Payslip 1', 'held');
        await held.waitFor();
        expect(await held.locator('button.retry').count()).toBe(1);
        await page.locator('#outbox-filter').selectOption('held');
        await onlyStatus(page, 'held');
        expect(await page.locator('#outbox-log tbody tr').count()).toBe(2);
        await page.screenshot({
          path: join(ARTIFACTS, `admin-page-outbox-held-${backend}.png`),
          fullPage: true,
        });
        const text = await page.locator('body').innerText();
        for (const secret of [WRONG_PASSWORD, RIGHT_PASSWORD, TOKEN]) {
          expect(text).not.toContain(secret);
        }

        await saveSettings(page, RIGHT_PASSWORD);
        await banner.waitFor({ state: 'hidden' });
        await page.locator('#outbox-filter').selectOption('sent');
        await row(page, 'Payslip 1', 'sent').waitFor();
        await row(page, 'Payslip 2', 'sent').waitFor();
        expect(peer.messages.map((m) => m.headers.subject).sort()).toEqual([
          'Payslip 1',
          'Payslip 2',
        ]);
      } finally {
        await page.context().close();
      }
    });

    it('answers a Retry that something else beat with a sentence, not an error', async () => {
      const context = await browser.newContext({ viewport: { width: 1200, height: 1000 } });
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      try {
        // The page's timers run only when the test says: its Retry button stays as drawn.
        await page.clock.install();
        let inFlight = 0;
        page.on('request', () => inFlight++);
        page.on('requestfinished', () => inFlight--);
        page.on('requestfailed', () => inFlight--);
        await page.goto(`${h.started.urls.base}/?token=${TOKEN}`);
        await page.locator('#outbox-card').waitFor();
        await saveSettings(page, WRONG_PASSWORD);
        expect((await notify('grace@example.com', 'Beaten to it')).status).toBe(202);
        const held = row(page, 'Beaten to it', 'held');
        while (!(await held.isVisible())) await page.clock.runFor(3_000);
        // A refresh may still be running (and ask for another when it ends): wait until the page
        // has no request open, twice in a row. With its clock paused, nothing starts a new one.
        for (let idle = 0; idle < 2; idle = inFlight === 0 ? idle + 1 : 0) {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        await held.waitFor();
        const id = (await held.getAttribute('data-id'))!;
        const saved = await h.call('PUT', '/smtp-settings', {
          type: 'basic',
          hostname: peer.host,
          port: peer.port,
          useTls: false,
          username: 'page-user',
          password: RIGHT_PASSWORD,
          senderEmail: 'noreply@acme.example',
        });
        expect(saved.status).toBe(200);
        // The save released the held message, and it went out.
        const deadline = Date.now() + 15_000;
        while ((await h.call('GET', `/smtp-settings/messages/${id}`)).body.status !== 'sent') {
          if (Date.now() > deadline) throw new Error('the held message was not sent');
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        await held.locator('button.retry').click();
        await page
          .locator('#outbox-message.warning')
          .getByText('"Beaten to it" was sent meanwhile: there is nothing to retry.')
          .waitFor();
        expect(await page.locator('#outbox-message.error').count()).toBe(0);
      } finally {
        await context.close();
      }
    });

    it('filters the log by status and queues a failed message again with Retry', async () => {
      expect((await notify('nobody@example.com', 'Bounced invoice')).status).toBe(202);
      const page = await signedIn();
      try {
        await page.locator('#outbox-filter').selectOption('failed');
        const failed = row(page, 'Bounced invoice', 'failed');
        await failed.waitFor();
        await onlyStatus(page, 'failed');
        expect(await failed.locator('td').nth(5).innerText()).not.toBe('—');

        const id = (await failed.getAttribute('data-id'))!;
        const before = (await h.call('GET', `/smtp-settings/messages/${id}`)).body;
        expect(before).toMatchObject({ status: 'failed', subject: 'Bounced invoice' });

        await failed.locator('button.retry').click();
        await page
          .locator('#outbox-message.success')
          .getByText('Queued again: "Bounced invoice", with its same Message-ID.')
          .waitFor();
        // Tried again, with its same Message-ID, and refused for good again: failed once more.
        const deadline = Date.now() + 15_000;
        let after = before;
        while (Date.now() < deadline) {
          after = (await h.call('GET', `/smtp-settings/messages/${id}`)).body;
          if (after.status === 'failed' && after.updatedAt !== before.updatedAt) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(after).toMatchObject({ status: 'failed', messageId: before.messageId });
        expect(after.updatedAt).not.toBe(before.updatedAt);
        await row(page, 'Bounced invoice', 'failed').waitFor();
      } finally {
        await page.context().close();
      }
    });

    /**
     * The notice once the page shows `kind`, beside the summary the API answers the tenant now, and
     * the next try as the page's own locale writes it.
     */
    async function waitingNotice(page: Page, kind: 'held' | 'deferred', token: string) {
      const notice = page.locator(`#outbox-waiting[data-kind="${kind}"]`);
      await notice.waitFor();
      const summary = await h.call('GET', '/smtp-settings/outbox', undefined, token);
      expect(summary.status).toBe(200);
      const waiting = summary.body.waiting as {
        kind: string;
        reason: string;
        nextAttemptAt: string;
      };
      expect(waiting.kind).toBe(kind);
      const local = await page.evaluate(
        (iso) => new Date(iso).toLocaleString(),
        waiting.nextAttemptAt,
      );
      return {
        notice,
        waiting,
        local,
        text: (await notice.innerText()).replace(/\s+/g, ' ').trim(),
        time: await notice.locator('time').getAttribute('datetime'),
      };
    }

    it("says why a tenant's mail is held and when it is tried next, and hides that once the password is fixed", async () => {
      const page = await signedIn(TOKEN_HELD);
      try {
        await saveSettings(page, WRONG_PASSWORD);
        const enqueuedAt = Date.now();
        expect((await notify('ada@example.com', 'Held contract', TOKEN_HELD)).status).toBe(202);

        const { notice, waiting, local, text, time } = await waitingNotice(
          page,
          'held',
          TOKEN_HELD,
        );
        // The server refused the login: the reason is the one the summary gives, in the admin's words.
        expect(waiting.reason).toMatch(/authentication failed|\(EAUTH\)|535/i);
        const reason = /[.!?]$/.test(waiting.reason) ? waiting.reason : `${waiting.reason}.`;
        expect(text).toBe(`Held: ${reason} Next try ${local}.`);
        expect(time).toBe(waiting.nextAttemptAt);
        expect(Date.parse(waiting.nextAttemptAt)).toBeGreaterThan(enqueuedAt);
        expect(await notice.getAttribute('class')).toBe('alert error');
        for (const secret of [WRONG_PASSWORD, RIGHT_PASSWORD, TOKEN_HELD]) {
          expect(text).not.toContain(secret);
        }
        await page.screenshot({
          path: join(ARTIFACTS, `admin-page-outbox-waiting-held-${backend}.png`),
          fullPage: true,
        });

        // Another tenant's page, loaded while northwind waits, shows nothing waiting.
        const other = await signedIn(TOKEN);
        try {
          await other.locator('#outbox-card[data-refreshed-at]').waitFor();
          expect(await other.locator('#outbox-waiting').isHidden()).toBe(true);
        } finally {
          await other.context().close();
        }

        await saveSettings(page, RIGHT_PASSWORD);
        await page.locator('#outbox-waiting').waitFor({ state: 'hidden' });
        expect(await page.locator('#outbox-waiting').innerText()).toBe('');
        await page.locator('#outbox-filter').selectOption('sent');
        await row(page, 'Held contract', 'sent').waitFor();
        expect(
          (await h.call('GET', '/smtp-settings/outbox', undefined, TOKEN_HELD)).body.waiting,
        ).toBeNull();
      } finally {
        await page.context().close();
      }
    });

    it('shows a message sent at its second attempt as delivered, its first error labelled as earlier', async () => {
      const page = await signedIn(TOKEN_FLAKY);
      try {
        await saveSettings(page, RIGHT_PASSWORD, FLAKY_SENDER);
        expect((await notify('ada@example.com', 'Second try', TOKEN_FLAKY)).status).toBe(202);
        const sent = row(page, 'Second try', 'sent');
        await sent.waitFor();
        expect(await sent.locator('td').nth(4).innerText()).toBe('2');
        const outcome = await sent.locator('td').nth(5).innerText();
        expect(outcome).toMatch(/^Delivered\s+Earlier attempt: .*451/s);
      } finally {
        await page.context().close();
      }
    });

    it('says which sent messages went through the backup connection', async () => {
      const page = await signedIn(TOKEN_BACKUP);
      try {
        // Main refuses the sign-in; the backup is the same server with the right password.
        await saveSettings(page, WRONG_PASSWORD);
        const backup = await h.call(
          'PUT',
          '/smtp-settings/backup',
          {
            type: 'basic',
            hostname: peer.host,
            port: peer.port,
            useTls: false,
            username: 'page-user',
            password: RIGHT_PASSWORD,
            senderEmail: 'noreply@acme.example',
          },
          TOKEN_BACKUP,
        );
        expect(backup.status).toBe(200);
        expect((await notify('ada@example.com', 'Via backup', TOKEN_BACKUP)).status).toBe(202);
        const sent = row(page, 'Via backup', 'sent');
        await sent.waitFor();
        expect(await sent.locator('td').nth(5).innerText()).toBe(
          'Delivered through the backup connection',
        );
        const entry = (await h.call('GET', '/smtp-settings/messages', undefined, TOKEN_BACKUP)).body
          .items[0];
        expect(entry).toMatchObject({ subject: 'Via backup', connection: 'backup' });
      } finally {
        await page.context().close();
      }
    });

    it("says the provider deferred a tenant's mail, with its words and the next try in local time", async () => {
      const page = await signedIn(TOKEN_DEFERRED);
      try {
        await saveSettings(page, RIGHT_PASSWORD, LIMITED_SENDER);
        expect((await notify('ada@example.com', 'Deferred digest', TOKEN_DEFERRED)).status).toBe(
          202,
        );

        const { notice, waiting, local, text, time } = await waitingNotice(
          page,
          'deferred',
          TOKEN_DEFERRED,
        );
        expect(waiting.reason).toMatch(/Daily user sending limit exceeded.*resumes after/);
        expect(text).toMatch(/^Deferred by the provider: .*Daily user sending limit exceeded/);
        // The time in UTC that ends the reason is given once, in local time.
        expect(text).not.toContain('resumes after');
        expect(text.endsWith(` Next try ${local}.`)).toBe(true);
        expect(time).toBe(waiting.nextAttemptAt);
        expect(await notice.getAttribute('class')).toBe('alert warning');
        await row(page, 'Deferred digest', 'held').waitFor();
        expect(peer.messages.map((m) => m.headers.subject)).not.toContain('Deferred digest');
      } finally {
        await page.context().close();
      }
    });
  },
);
