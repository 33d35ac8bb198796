import type { Browser, Page } from 'playwright-core';
import { startSampleApp, type SampleAppHarness } from '../fixtures/sample-app-harness';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';
import { launchChromium } from './chromium';

const ADMIN_TOKEN = 'browser-admin-token-5a7e02';
const RIGHT_PASSWORD = 'browser-save-verify-right-1f9d';
const WRONG_PASSWORD = 'browser-save-verify-wrong-80c4';

/** Save checks the settings first: what Verify refuses is saved only when the admin insists. */
describe('Saving from the admin page checks the server first', () => {
  let h: SampleAppHarness;
  let peer: SmtpPeer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    peer = await startSmtpPeer({ users: { 'page-user': RIGHT_PASSWORD } });
    h = await startSampleApp({}, ADMIN_TOKEN);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await h?.close();
    await peer?.close();
  });
  beforeEach(async () => {
    page = await browser.newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(`${h.started.urls.base}/?token=${ADMIN_TOKEN}`);
    await page.locator('#app').waitFor();
  });
  afterEach(() => page.close());

  async function fill(password: string): Promise<void> {
    await page.locator('#hostname').fill(peer.host);
    await page.locator('#port').fill(String(peer.port));
    await page.locator('#username').fill('page-user');
    await page.locator('#password').fill(password);
    await page.locator('#senderEmail').fill('noreply@acme.example');
    await page.locator('#useTls').setChecked(false);
  }

  it('says what failed and saves nothing, then saves when the admin clicks Save anyway', async () => {
    await fill(WRONG_PASSWORD);
    await page.locator('#save').click();

    const status = page.locator('#form-status');
    const saveAnyway = status.getByRole('button', { name: 'Save anyway' });
    await saveAnyway.waitFor();
    const said = (await status.innerText()).replace(/\s+/g, ' ');
    expect(said).toContain('Not saved');
    expect(said).toContain('Verification failed while signing in to the server');
    expect(said).toMatch(/authentication failed: check username and password/i);
    // The code is for the IT team: behind Details, not in the sentence.
    expect(said).not.toContain('(535)');
    expect(await status.locator('details').textContent()).toContain('535');
    expect(said).not.toContain('Saved.');
    expect(await page.locator('#route-banner').innerText()).toContain('default relay');
    expect((await h.call('GET', '/smtp-settings')).body.version).toBe(0);
    expect((await h.call('GET', '/smtp-settings/history')).body).toEqual([]);

    await saveAnyway.click();
    await status.getByText(`Saved. Mail now goes through ${peer.host}:${peer.port}.`).waitFor();
    expect(await saveAnyway.count()).toBe(0);
    await page.locator('#history tbody tr', { hasText: 'Saved' }).waitFor();
    const saved = (await h.call('GET', '/smtp-settings')).body;
    expect(saved).toMatchObject({ version: 1, settings: { hostname: peer.host } });
  });

  it('saves at once when the check passes', async () => {
    const before = (await h.call('GET', '/smtp-settings')).body.version;
    const attempts = peer.authAttempts.length;
    await fill(RIGHT_PASSWORD);
    await page.locator('#save').click();
    await page.locator('#form-status').getByText('Saved.').waitFor();
    expect(await page.getByRole('button', { name: 'Save anyway' }).count()).toBe(0);
    expect((await h.call('GET', '/smtp-settings')).body.version).toBe(before + 1);
    expect(peer.authAttempts.slice(attempts)).toContainEqual(
      expect.objectContaining({ username: 'page-user', ok: true }),
    );
  });
});
