import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { startSampleApp, type SampleAppHarness } from '../fixtures/sample-app-harness';
import { launchChromium } from './chromium';

const ADMIN_TOKEN = 'browser-admin-token-7d2e91';
const PASSWORD = 'browser-password-c0ffee-42';
const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts');

/*
 * One app and one browser for the file: the tests follow an admin through the page in order, each
 * in a fresh tab that signs in with the token kept in session storage.
 */
describe('The admin page in Chromium', () => {
  let h: SampleAppHarness;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** Every URL the page asked for, to prove that nothing comes from another host. */
  let requested: string[];
  /** Every API response body the page received, to prove that no secret reaches it. */
  let received: string[];

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    h = await startSampleApp({}, ADMIN_TOKEN);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    requested = [];
    received = [];
    page.on('request', (request) => requested.push(request.url()));
    page.on('response', (response) => {
      if (new URL(response.url()).pathname.startsWith('/smtp-settings')) {
        response.text().then(
          (text) => received.push(text),
          () => undefined,
        );
      }
    });
    page.on('dialog', (dialog) => void dialog.accept());
  });
  afterEach(async () => {
    await context.close();
  });

  const base = () => h.started.urls.base;

  async function signIn(): Promise<void> {
    await page.goto(`${base()}/?token=${ADMIN_TOKEN}`);
    await page.locator('#app').waitFor();
  }

  const input = (id: string): Locator => page.locator(`#${id}`);
  const errorFor = (field: string): Locator => page.locator(`[data-error-for="${field}"]`);
  const tls = (): Promise<boolean> => input('useTls').isChecked();
  /** What the admin reads: rendered text, whitespace collapsed. */
  const text = async (locator: Locator): Promise<string> =>
    (await locator.innerText()).replace(/\s+/g, ' ').trim();

  async function fillDevInboxSettings(): Promise<void> {
    const inbox = h.started.devInbox!;
    await input('hostname').fill(inbox.host);
    await input('username').fill('page-user');
    await input('password').fill(PASSWORD);
    await input('port').fill(String(inbox.port));
    await input('senderEmail').fill('noreply@acme.example');
    if (await tls()) await page.locator('label.switch').click();
  }

  it('signs in with ?token= once, keeps it for the tab, and takes it out of the address bar', async () => {
    await signIn();
    expect(page.url()).toBe(`${base()}/`);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(1);
    await page.reload();
    await page.locator('#app').waitFor();
    expect(await page.locator('#signin').isHidden()).toBe(true);

    await page.locator('#sign-out').click();
    await page.locator('#signin').waitFor();
    await input('token').fill('not-the-token');
    await page.locator('#signin-form button').click();
    await page.getByText('The admin token is not valid').waitFor();
    await input('token').fill(ADMIN_TOKEN);
    await page.locator('#signin-form button').click();
    await page.locator('#app').waitFor();
  });

  it('disables Bearer until the oAuth upgrade is installed, then offers the Microsoft fields', async () => {
    await signIn();
    const bearer = page.locator('input[name="type"][value="bearer"]');
    expect(await bearer.isDisabled()).toBe(true);
    expect(await text(page.locator('#bearer-locked'))).toBe(
      'Install Security Enhancement - oAuth Enablement for SMTP services in the Upgrade Center to use Bearer authentication.',
    );
    expect(await input('clientId').isHidden()).toBe(true);

    await page.locator('#upgrade-toggle').click(); // the sample's stand-in Upgrade Center
    await page.locator('#upgrade-state', { hasText: /^Installed$/ }).waitFor();
    expect(await bearer.isEnabled()).toBe(true);
    expect(await page.locator('#bearer-locked').isHidden()).toBe(true);

    await page.locator('#bearer-option').click();
    for (const id of ['provider', 'clientId', 'clientSecret', 'tenantId']) {
      expect(await input(id).isVisible()).toBe(true);
    }
    expect(await input('password').isHidden()).toBe(true);
    expect(await input('hostname').inputValue()).toBe('smtp.office365.com');
    expect(await input('port').inputValue()).toBe('587');
    expect(await tls()).toBe(true);
    expect(await page.getByText('usually smtp.office365.com').isVisible()).toBe(true);
    expect(await page.getByText('must be the same as the Username').isVisible()).toBe(true);
    await input('username').fill('noreply@contoso.example');
    expect(await input('senderEmail').inputValue()).toBe('noreply@contoso.example');
    await page.screenshot({ path: join(ARTIFACTS, 'admin-page-bearer.png'), fullPage: true });

    await page.locator('#upgrade-toggle').click();
    await page.locator('#upgrade-state', { hasText: 'Not installed' }).waitFor();
    expect(await bearer.isDisabled()).toBe(true);
    expect(await page.locator('input[name="type"][value="basic"]').isChecked()).toBe(true);
    expect((await h.call('GET', '/upgrades')).body).toEqual({ tenant: 'default', installed: [] });
  });

  it('turns "Send using TLS" on for 587 and 465 and off for 25, and lets the admin change it', async () => {
    await signIn();
    expect(await input('port').inputValue()).toBe('25');
    expect(await tls()).toBe(false);
    await input('port').fill('587');
    expect(await tls()).toBe(true);
    await input('port').fill('25');
    expect(await tls()).toBe(false);
    await input('port').fill('465');
    expect(await tls()).toBe(true);
    await page.locator('label.switch').click();
    expect(await tls()).toBe(false);
    await input('port').fill('2525');
    expect(await tls()).toBe(false);
    await page.locator('label.switch').click();
    expect(await tls()).toBe(true);
  });

  it('shows the API errors next to their fields, in the form’s words, when saving invalid input', async () => {
    await signIn();
    await input('hostname').fill('smtp://mail.example.com');
    await input('port').fill('587');
    await page.locator('label.switch').click(); // TLS off on 587
    await input('senderEmail').fill('not-an-address');
    await page.locator('#save').click();

    await errorFor('hostname').getByText('Hostname must be a DNS name').waitFor();
    expect(await text(errorFor('username'))).toBe('Username is required');
    expect(await text(errorFor('senderEmail'))).toBe(
      'Sender email address must be a valid email address',
    );
    expect(await input('hostname').getAttribute('aria-invalid')).toBe('true');

    await input('hostname').fill('mail.example.com');
    await input('username').fill('mailer');
    await input('password').fill('some-password');
    await input('senderEmail').fill('noreply@example.com');
    await page.locator('#save').click();
    await errorFor('useTls').getByText('Port 587 requires Send using TLS to be on').waitFor();
    expect(await page.locator('#app').innerText()).not.toMatch(/useTls|senderEmail/);
    expect(await text(errorFor('hostname'))).toBe('');
    expect((await h.call('GET', '/smtp-settings')).body.source).toBe('relay');
  });

  it('saves Basic settings that point at the dev inbox, and the test email arrives there', async () => {
    await signIn();
    await fillDevInboxSettings();
    await page.locator('#optional-fields summary').click();
    await input('replyTo').fill('help@acme.example');
    await page.screenshot({ path: join(ARTIFACTS, 'admin-page-filled.png'), fullPage: true });

    await page.locator('#verify').click();
    await page.locator('#form-status').getByText('Connection verified').waitFor();
    // What the API checked, and no more: TLS is off here, so nothing says TLS passed.
    const verified = await text(page.locator('#form-status'));
    expect(verified).toContain(
      `connected to 127.0.0.1:${h.started.devInbox!.port} without TLS and authenticated`,
    );
    expect(verified).not.toMatch(/TLS (and sign-in )?passed/);
    await page.locator('#save').click();
    await page.locator('#form-status').getByText('Saved.').waitFor();
    expect(await text(page.locator('#route-banner'))).toContain(
      `Mail goes through your SMTP server 127.0.0.1:${h.started.devInbox!.port}`,
    );
    expect(await page.locator('#warnings').isHidden()).toBe(true);
    await page.locator('#history tbody tr', { hasText: 'Saved' }).waitFor();

    await input('testTo').fill('admin@acme.example');
    await page.locator('#send-test').click();
    await page
      .locator('#test-status')
      .getByText('Test email sent to admin@acme.example through your SMTP server')
      .waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'admin-page-saved.png'), fullPage: true });

    await page.locator('#test-status a', { hasText: 'Open the dev inbox' }).click();
    await page.waitForURL(`${base()}/inbox`);
    const message = page.locator('article.message').first();
    await message.getByText('SMTP settings test email').waitFor();
    expect(await text(message)).toContain('admin@acme.example');
    expect(await text(message)).toContain('noreply@acme.example');
    expect(await text(message)).toContain('page-user');
    expect(await text(message)).toContain('Reply-To help@acme.example');
    await page.screenshot({ path: join(ARTIFACTS, 'dev-inbox.png'), fullPage: true });
  });

  it('shows "stored" instead of the password after a reload, and keeps it when left empty', async () => {
    await signIn();
    await page.reload();
    await page.locator('#app').waitFor();
    expect(await input('hostname').inputValue()).toBe('127.0.0.1');
    expect(await input('password').inputValue()).toBe('');
    expect(await input('password').getAttribute('placeholder')).toBe('stored');
    expect(await page.getByText('Leave empty to keep the stored password.').isVisible()).toBe(true);
    expect(await page.content()).not.toContain(PASSWORD);

    await input('senderName').fill('Acme Reports');
    await page.locator('#save').click();
    await page.locator('#form-status').getByText('Saved.').waitFor();
    expect((await h.call('GET', '/smtp-settings')).body.settings).toMatchObject({
      senderName: 'Acme Reports',
      passwordSet: true,
    });
    await page.locator('#history tbody tr').nth(1).waitFor();
    expect(received.length).toBeGreaterThan(0);
    for (const body of received) expect(body).not.toContain(PASSWORD);
  });

  it('reverts to the default relay and explains its 50-recipient limit', async () => {
    await signIn();
    await page.locator('#revert').click();
    await page.locator('#form-status').getByText('Reverted').waitFor();
    const banner = await text(page.locator('#route-banner'));
    expect(banner).toContain('Mail goes through the default relay.');
    expect(banner).toContain('at most 50 recipients per message');
    expect(await input('hostname').inputValue()).toBe('');
    expect(await input('password').getAttribute('placeholder')).toBe('');
    expect(await input('port').inputValue()).toBe('25');
    await page.locator('#history tbody tr', { hasText: 'Reverted to the relay' }).waitFor();
    expect((await h.call('GET', '/smtp-settings')).body.source).toBe('relay');
  });

  it('loads nothing from another host, the API docs included', async () => {
    await signIn();
    await page.goto(`${base()}/docs`);
    await page.locator('.swagger-ui .opblock-tag', { hasText: 'SMTP settings' }).waitFor();
    await page.goto(`${base()}/inbox`);
    await page
      .locator('#inbox-count')
      .getByText(/message/)
      .waitFor();
    expect(requested.length).toBeGreaterThan(5);
    for (const url of requested) {
      if (url.startsWith('data:')) continue;
      expect(new URL(url).origin).toBe(base());
    }
  });
});
