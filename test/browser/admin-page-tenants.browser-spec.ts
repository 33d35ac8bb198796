import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startSampleApp, type SampleAppHarness } from '../fixtures/sample-app-harness';
import { launchChromium } from './chromium';

const TOKEN_DEFAULT = 'browser-default-token-31c7';
const TOKEN_ACME = 'browser-acme-token-8e02';
const TOKEN_GLOBEX = 'browser-globex-token-f4a9';
const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts');

/* The page names the tenant its token administers, and shows only that tenant's settings. */
describe('The admin page with tenants, in Chromium', () => {
  let h: SampleAppHarness;
  let browser: Browser;

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    h = await startSampleApp(
      { ADMIN_TOKENS: `${TOKEN_ACME}:acme,${TOKEN_GLOBEX}:globex` },
      TOKEN_DEFAULT,
    );
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  /** A tab of its own (its own session storage), signed in with `token`. */
  async function signedIn(token: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(`${h.started.urls.base}/?token=${token}`);
    await page.locator('#app').waitFor();
    return page;
  }

  const tenantName = (page: Page): Promise<string> => page.locator('#tenant-name').innerText();
  const tenantLine = async (page: Page): Promise<string> =>
    (await page.locator('#tenant-line').innerText()).replace(/\s+/g, ' ').trim();

  it('names the tenant of each token under the title', async () => {
    const acme = await signedIn(TOKEN_ACME);
    const globex = await signedIn(TOKEN_GLOBEX);
    const fallback = await signedIn(TOKEN_DEFAULT);
    try {
      expect(await tenantName(acme)).toBe('acme');
      expect(await tenantLine(acme)).toBe(
        "Tenant acme: these settings apply to this tenant's mail only.",
      );
      expect(await tenantName(globex)).toBe('globex');
      expect(await tenantName(fallback)).toBe('default');
      // The tenant that every app has is not news: no line for it.
      expect(await fallback.locator('#tenant-line').isHidden()).toBe(true);
      await acme.screenshot({ path: join(ARTIFACTS, 'admin-page-tenant.png'), fullPage: true });
    } finally {
      await Promise.all([acme, globex, fallback].map((p) => p.context().close()));
    }
  });

  it('shows each tenant its own settings: a save on acme’s page leaves globex’s on the relay', async () => {
    const acme = await signedIn(TOKEN_ACME);
    try {
      const inbox = h.started.devInbox!;
      await acme.locator('#hostname').fill(inbox.host);
      await acme.locator('#username').fill('acme-user');
      await acme.locator('#password').fill('acme-browser-password-1');
      await acme.locator('#port').fill(String(inbox.port));
      await acme.locator('#senderEmail').fill('noreply@acme.example');
      await acme.locator('#save').click();
      await acme.locator('#form-status').getByText('Saved.').waitFor();
      await acme.locator('#route-banner.custom').waitFor();
    } finally {
      await acme.context().close();
    }
    const globex = await signedIn(TOKEN_GLOBEX);
    try {
      await globex.locator('#route-banner.relay').waitFor();
      expect(await globex.locator('#hostname').inputValue()).not.toBe(h.started.devInbox!.host);
      expect(await globex.locator('#username').inputValue()).toBe('');
    } finally {
      await globex.context().close();
    }
  });
});
