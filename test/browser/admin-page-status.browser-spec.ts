import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { dropRedisKeys, TEST_REDIS_URL } from '../fixtures/outbox-kit';
import { uniqueName } from '../fixtures/postgres';
import { startSampleApp, type SampleAppHarness } from '../fixtures/sample-app-harness';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';
import { launchChromium } from './chromium';
import {
  CATCH_UP_MS,
  caughtUp,
  details,
  notReloaded,
  RAW_CODE,
  redBoxes,
  settingsOf,
  signedIn as signedInWith,
  statusLine,
  text,
} from './status-kit';

const TOKEN = 'browser-status-token-4c1b9e';
const RIGHT_PASSWORD = 'browser-status-right-2a7f';
const WRONG_PASSWORD = 'browser-status-wrong-d390';
const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts');
const signedIn = (browser: Browser, h: SampleAppHarness) => signedInWith(browser, h, TOKEN);

/*
 * One status line at the top of the admin page: green only while mail can go out, red with the
 * reason while it cannot, and current without a reload (the page asks the API every few seconds).
 */
describe('The admin page’s one status line, without the outbox', () => {
  let h: SampleAppHarness;
  let peer: SmtpPeer;
  let browser: Browser;
  /** The password the peer accepts: the IT team can change it on the server. */
  const users = { 'page-user': RIGHT_PASSWORD };

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    peer = await startSmtpPeer({
      users,
      serverOptions: { allowInsecureAuth: true },
    });
    h = await startSampleApp({}, TOKEN);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await h?.close();
    await peer?.close();
  });
  beforeEach(async () => {
    users['page-user'] = RIGHT_PASSWORD;
    await h.call('DELETE', '/smtp-settings');
  });

  const notify = (subject: string) =>
    h.call('POST', '/notifications', { to: 'ada@example.com', subject, text: 'x' });

  it('is green while mail can go out, says who saved the settings and when, and no version', async () => {
    expect((await h.call('PUT', '/smtp-settings', settingsOf(peer, RIGHT_PASSWORD))).status).toBe(
      200,
    );
    const page = await signedIn(browser, h);
    try {
      const said = await statusLine(page, 'custom');
      expect(said).toMatch(
        new RegExp(
          `^Mail goes through your SMTP server 127\\.0\\.0\\.1:${peer.port} \\(Basic authentication, saved by \\S+ on .+\\)\\.`,
        ),
      );
      expect(said).not.toMatch(/version/i);
      expect(await redBoxes(page)).toEqual([]);
      // A single-tenant app: the tenant every app has is not named.
      expect(await page.locator('#tenant-line').isHidden()).toBe(true);

      await page.locator('#revert').click();
      const relay = await statusLine(page, 'relay');
      expect(relay).toContain(
        'The default relay accepts at most 50 recipients per message: a message to more is refused before it is sent.',
      );
      expect(relay).not.toMatch(/Amazon|SES/);
    } finally {
      await page.context().close();
    }
  });

  it('turns red with the reason after a failed send, and green again when a later send succeeds, without a reload', async () => {
    await h.call('PUT', '/smtp-settings', settingsOf(peer, WRONG_PASSWORD));
    const page = await signedIn(browser, h);
    try {
      await statusLine(page, 'custom');
      expect((await notify('Refused login')).status).not.toBe(202);

      const said = await statusLine(page, 'failure');
      expect(said).toMatch(/^The last message could not be sent \(.+\)\. \S/);
      expect(said).not.toMatch(RAW_CODE);
      expect(said).not.toContain('Mail goes through');
      expect(await redBoxes(page)).toEqual(['route-banner']);
      expect(await details(page)).toContain('EAUTH');

      // The IT team sets the server's password to the one saved: the product's next mail goes out.
      users['page-user'] = WRONG_PASSWORD;
      expect((await notify('Accepted login')).status).toBe(202);
      await statusLine(page, 'custom');
      expect(await page.locator('#last-failure').count()).toBe(0);
      expect(await notReloaded(page)).toBe(true);
    } finally {
      await page.context().close();
    }
  });

  it('drops a failure about settings that a save or a revert replaced', async () => {
    await h.call('PUT', '/smtp-settings', settingsOf(peer, WRONG_PASSWORD));
    expect((await notify('Refused before the fix')).status).not.toBe(202);
    const page = await signedIn(browser, h);
    try {
      await statusLine(page, 'failure');
      await page.locator('#password').fill(RIGHT_PASSWORD);
      await page.locator('#save').click();
      await page.locator('#form-status').getByText('Saved.').waitFor();
      expect(await statusLine(page, 'custom')).toContain('Mail goes through your SMTP server');

      // The server's password changes, and the product's mail fails there: the admin reverts.
      users['page-user'] = 'changed-on-the-server';
      expect((await notify('Refused after the fix')).status).not.toBe(202);
      await statusLine(page, 'failure');
      await page.locator('#revert').click();
      await page.locator('#form-status').getByText('Reverted').waitFor();
      expect(await statusLine(page, 'relay')).toContain('Mail goes through the default relay.');
      expect(await redBoxes(page)).toEqual([]);
      expect(await notReloaded(page)).toBe(true);
    } finally {
      await page.context().close();
    }
  });

  it('turns red after a failed test email, until a test email goes through', async () => {
    await h.call('PUT', '/smtp-settings', settingsOf(peer, RIGHT_PASSWORD));
    const page = await signedIn(browser, h);
    try {
      await statusLine(page, 'custom');
      users['page-user'] = 'changed-on-the-server';
      await page.locator('#testTo').fill('ada@example.com');
      await page.locator('#send-test').click();

      const said = await statusLine(page, 'failure');
      expect(said).toMatch(
        /^The test email could not be sent\. It failed while signing in to the server: \S/,
      );
      expect(await page.locator('#test-failure').count()).toBe(1);
      expect(said).not.toMatch(RAW_CODE);
      expect(await redBoxes(page)).toEqual(['route-banner']);
      expect(await details(page)).toMatch(/Step auth Code 535/);
      await page.screenshot({ path: join(ARTIFACTS, 'admin-page-status-test-failed.png') });
      const beside = await text(page.locator('#test-status > p'));
      expect(beside).toMatch(/^Not sent: it failed while signing in to the server: \S/);
      expect(beside).not.toMatch(RAW_CODE);
      // The red line, its Details open, stays across polls: the API keeps no record of test emails.
      await caughtUp(page);
      expect(await page.locator('#route-banner.failure details[open]').count()).toBe(1);

      users['page-user'] = RIGHT_PASSWORD;
      await page.locator('#send-test').click();
      await page.locator('#test-status').getByText('Test email sent to ada@example.com').waitFor();
      await statusLine(page, 'custom');
      expect(await redBoxes(page)).toEqual([]);
      expect(await notReloaded(page)).toBe(true);
    } finally {
      await page.context().close();
    }
  });
});

describe('The admin page’s one status line, with the outbox (Redis)', () => {
  let h: SampleAppHarness;
  let peer: SmtpPeer;
  let browser: Browser;
  const prefix = uniqueName('browser_status');

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    peer = await startSmtpPeer({
      users: { 'page-user': RIGHT_PASSWORD },
      serverOptions: { allowInsecureAuth: true },
    });
    h = await startSampleApp({ REDIS_URL: TEST_REDIS_URL, OUTBOX_PREFIX: prefix }, TOKEN);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await h?.close();
    await peer?.close();
    await dropRedisKeys(`${prefix}:*`);
  });

  it('says in the one red line that mail is held and why, and turns green without a reload once the fix is saved and the mail has gone', async () => {
    await h.call('PUT', '/smtp-settings', settingsOf(peer, WRONG_PASSWORD));
    const page = await signedIn(browser, h);
    try {
      await page.locator('#outbox-card').waitFor();
      await statusLine(page, 'custom');
      for (const subject of ['Payslip 1', 'Payslip 2']) {
        const queued = await h.call('POST', '/notifications', {
          to: 'ada@example.com',
          subject,
          text: 'x',
        });
        expect(queued.status).toBe(202);
      }

      await page
        .locator('#outbox-held')
        .getByText('Mail is held: 2 messages are waiting.')
        .waitFor();
      const said = await statusLine(page, 'blocked');
      expect(await page.locator('#route-banner').getAttribute('data-reason')).toBe('held');
      expect(said).toContain('fix the settings below and save, and held mail goes out at once');
      expect(said).not.toMatch(RAW_CODE);
      expect(said).not.toContain('Mail goes through');
      // One box: the failure that held the mail is not said a second time.
      expect(await redBoxes(page)).toEqual(['route-banner']);
      expect(await page.locator('#last-failure').count()).toBe(0);
      expect(await details(page)).toContain('EAUTH');
      await page.screenshot({ path: join(ARTIFACTS, 'admin-page-status-held.png') });

      await page.locator('#password').fill(RIGHT_PASSWORD);
      await page.locator('#save').click();
      await page.locator('#form-status').getByText('Saved.').waitFor();
      await peer.waitForMessages(2, CATCH_UP_MS);
      await statusLine(page, 'custom');
      expect(await redBoxes(page)).toEqual([]);
      expect(await notReloaded(page)).toBe(true);
    } finally {
      await page.context().close();
    }
  });
});
