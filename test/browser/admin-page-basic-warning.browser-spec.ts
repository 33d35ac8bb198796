import type { Browser } from 'playwright-core';
import { startSampleApp, type SampleAppHarness } from '../fixtures/sample-app-harness';
import { launchChromium } from './chromium';
import { saveAnyway } from './save-anyway';

const ADMIN_TOKEN = 'browser-admin-token-b45c1e';

describe('The admin page and Basic settings at Microsoft 365', () => {
  let h: SampleAppHarness;
  let browser: Browser;

  beforeAll(async () => {
    h = await startSampleApp({}, ADMIN_TOKEN);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it('shows the end-of-Basic warning once they are saved, and not for another server', async () => {
    const page = await browser.newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(`${h.started.urls.base}/?token=${ADMIN_TOKEN}`);
    await page.locator('#app').waitFor();
    await page.locator('#hostname').fill('smtp.office365.com');
    await page.locator('#username').fill('notifications@contoso.com');
    await page.locator('#password').fill('browser-password-5e77a1');
    await page.locator('#port').fill('587');
    await page.locator('#senderEmail').fill('notifications@contoso.com');
    if (!(await page.locator('#useTls').isChecked())) await page.locator('label.switch').click();
    await saveAnyway(page);
    const warnings = page.locator('#warnings');
    await warnings.waitFor();
    expect((await warnings.innerText()).replace(/\s+/g, ' ').trim()).toBe(
      'Warning: Microsoft is retiring Basic authentication for SMTP AUTH: it is off by default for existing tenants from the end of December 2026 (a tenant administrator can turn it back on for now), and Microsoft will announce the date of its final removal in 2027. Use Bearer (OAuth 2.0)',
    );

    // The page reads the warning back from GET /smtp-settings, not only from the save.
    await page.reload();
    await page.locator('#app').waitFor();
    await warnings.waitFor();
    expect(await warnings.innerText()).toContain('Use Bearer (OAuth 2.0)');

    await page.locator('#hostname').fill('mail.example.com');
    await page.locator('#password').fill('browser-password-5e77a1');
    await saveAnyway(page);
    expect(await warnings.isHidden()).toBe(true);
    await page.close();
  });
});
