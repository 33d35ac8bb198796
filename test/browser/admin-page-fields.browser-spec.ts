import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { startSampleApp, type SampleAppHarness } from '../fixtures/sample-app-harness';
import { launchChromium } from './chromium';
import { saveAnyway } from './save-anyway';

const ADMIN_TOKEN = 'browser-fields-token-5b8c21';
const PASSWORD = 'browser-fields-password-77d0';

/*
 * The page offers every field of the API and never drops one, and its banner is green only while
 * mail can go out. One app per file; each test signs in on a fresh tab and sets up its own state.
 */
describe('The admin page: every field, and the truth about delivery', () => {
  let h: SampleAppHarness;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    h = await startSampleApp({}, ADMIN_TOKEN);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });
  beforeEach(async () => {
    await h.call('DELETE', '/smtp-settings');
    await h.call('DELETE', '/upgrades/smtp-oauth');
    context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on('dialog', (dialog) => void dialog.accept());
  });
  afterEach(() => context.close());

  async function signIn(): Promise<void> {
    await page.goto(`${h.started.urls.base}/?token=${ADMIN_TOKEN}`);
    await page.locator('#app').waitFor();
  }
  const input = (id: string): Locator => page.locator(`#${id}`);
  const text = async (locator: Locator): Promise<string> =>
    (await locator.innerText()).replace(/\s+/g, ' ').trim();

  const implicitOn2465 = {
    type: 'basic',
    hostname: 'mail.intranet.example',
    port: 2465,
    username: 'mailer',
    password: PASSWORD,
    senderEmail: 'noreply@intranet.example',
    useTls: true,
    tlsMode: 'implicit',
    senderName: 'Intranet',
    replyTo: 'help@intranet.example',
  };

  it('has a control for every field of both settings types in the API', async () => {
    const { body: doc } = await h.call('GET', '/docs-json', undefined, null);
    const fields = new Set<string>();
    for (const dto of ['BasicSmtpSettingsDto', 'BearerSmtpSettingsDto']) {
      for (const name of Object.keys(doc.components.schemas[dto].properties)) fields.add(name);
    }
    expect(fields).toContain('tlsMode');
    await signIn();
    for (const name of fields) {
      const control = name === 'type' ? page.locator('input[name="type"]') : input(name);
      expect({ name, controls: (await control.count()) > 0 }).toEqual({ name, controls: true });
    }
  });

  it('shows a tlsMode saved through the API and keeps it when the admin changes another field', async () => {
    expect((await h.call('PUT', '/smtp-settings', implicitOn2465)).status).toBe(200);
    await signIn();
    expect(await input('tlsMode').inputValue()).toBe('implicit');
    expect(await input('port').inputValue()).toBe('2465');

    await input('senderName').fill('Intranet Reports');
    await saveAnyway(page);

    const { body } = await h.call('GET', '/smtp-settings');
    const { password: _password, ...visible } = implicitOn2465;
    expect(body.settings).toEqual({
      ...visible,
      senderName: 'Intranet Reports',
      passwordSet: true,
    });
    const history = (await h.call('GET', '/smtp-settings/history')).body;
    expect(history[0].changed).toEqual(['senderName']);
  });

  it('configures implicit TLS on a port other than 465 from the page', async () => {
    await signIn();
    await input('hostname').fill('mail.intranet.example');
    await input('username').fill('mailer');
    await input('password').fill(PASSWORD);
    await input('port').fill('2465');
    await page.locator('label.switch').click(); // TLS on
    await input('tlsMode').selectOption('implicit');
    await input('senderEmail').fill('noreply@intranet.example');
    await saveAnyway(page);
    const { body } = await h.call('GET', '/smtp-settings');
    expect(body.settings).toMatchObject({ port: 2465, useTls: true, tlsMode: 'implicit' });
  });

  it('turns the banner red with the reason and the fix once the upgrade of saved Bearer settings is removed', async () => {
    await h.call('PUT', '/upgrades/smtp-oauth');
    const bearer = {
      type: 'bearer',
      provider: 'microsoft',
      hostname: 'smtp.office365.com',
      port: 587,
      username: 'noreply@contoso.example',
      senderEmail: 'noreply@contoso.example',
      clientId: '11111111-2222-3333-4444-555555555555',
      clientSecret: 'browser-fields-client-secret',
      tenantId: 'contoso.onmicrosoft.com',
      useTls: true,
    };
    expect((await h.call('PUT', '/smtp-settings', bearer)).status).toBe(200);
    await signIn();
    const banner = page.locator('#route-banner');
    expect(await banner.getAttribute('class')).toBe('banner custom');

    await page.locator('#upgrade-toggle').click(); // remove it
    await page.locator('#route-banner.blocked').waitFor();
    expect(await banner.getAttribute('data-reason')).toBe('upgrade-removed');
    const said = await text(banner);
    expect(said).toContain('Mail cannot go out');
    expect(said).toContain('Install it again in the Upgrade Center');
    expect(said).not.toContain('Mail goes through your SMTP server');

    await page.reload();
    await page.locator('#route-banner.blocked').waitFor();
    await page.locator('#upgrade-toggle').click(); // install it again
    await page.locator('#route-banner.custom').waitFor();
    expect(await text(banner)).toContain(
      'Mail goes through your SMTP server smtp.office365.com:587',
    );
  });

  it('says when the product’s last message failed, with the API’s explanation, until one goes out', async () => {
    const inbox = h.started.devInbox!;
    const settings = {
      type: 'basic',
      hostname: inbox.host,
      port: inbox.port,
      username: 'page-user',
      password: PASSWORD,
      senderEmail: 'noreply@acme.example',
      useTls: false,
    };
    // Nothing listens on port 1: the product's own notification fails there.
    await h.call('PUT', '/smtp-settings', { ...settings, port: 1 });
    const notification = { to: ['a@acme.example'], subject: 'Report', text: 'x' };
    expect((await h.call('POST', '/notifications', notification)).status).not.toBe(202);
    await signIn();
    // The one status line says it, red: not a green "Mail goes through" above a red box.
    const failure = page.locator('#route-banner #last-failure');
    await failure.waitFor();
    expect(await text(failure)).toContain('The last message could not be sent');
    expect(await text(failure)).toMatch(/127\.0\.0\.1:1|connect/i);
    expect(await page.locator('#route-banner').getAttribute('class')).toBe('banner failure');
    expect(await text(page.locator('#route-banner'))).not.toContain('Mail goes through');

    await h.call('PUT', '/smtp-settings', settings);
    expect((await h.call('POST', '/notifications', notification)).status).toBe(202);
    await page.reload();
    await page.locator('#app').waitFor();
    expect(await failure.isHidden()).toBe(true);
  });
});
