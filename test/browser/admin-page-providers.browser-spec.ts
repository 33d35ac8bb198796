import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { newServiceAccountKey } from '../fixtures/fake-google-token';
import { startSampleApp, type SampleAppHarness } from '../fixtures/sample-app-harness';
import { launchChromium } from './chromium';
import { saveAnyway } from './save-anyway';

const ADMIN_TOKEN = 'browser-providers-token-3f9a07';
const CLIENT_SECRET = 'browser-providers-client-secret-c81e';
const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts');

/** Every control that one Bearer provider or another shows, and those each one shows. */
const CONTROLS = ids(
  'provider hostname username password port senderEmail clientId clientSecret tenantId serviceAccountEmail privateKey useTls tlsMode',
);
const SHOWN: Record<string, string[]> = {
  microsoft: ids(
    'provider hostname username port senderEmail clientId clientSecret tenantId useTls tlsMode',
  ),
  'microsoft-graph': ids('provider username senderEmail clientId clientSecret tenantId'),
  google: ids(
    'provider hostname username port senderEmail serviceAccountEmail privateKey useTls tlsMode',
  ),
};
function ids(list: string): string[] {
  return list.split(' ');
}

/*
 * The admin page offers the three Bearer providers, each with its own fields, and saves each one
 * through the API with the body of that provider and nothing else. One app for the file; each test
 * signs in on a fresh tab with the oAuth upgrade installed and no settings.
 */
describe('The admin page: Microsoft SMTP, Microsoft Graph and Google Workspace', () => {
  let h: SampleAppHarness;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** What the API answered the page, every response, to look for secrets. */
  let responses: string[];
  /** The bodies the page sent to PUT /smtp-settings. */
  let puts: Record<string, unknown>[];

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
    await h.call('DELETE', '/smtp-settings');
    await h.call('PUT', '/upgrades/smtp-oauth');
    context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    responses = [];
    puts = [];
    page.on('request', (request) => {
      // What Save sends, checked first; "Save anyway" repeats the same body.
      if (request.method() === 'PUT' && request.url().endsWith('/smtp-settings?verify=true')) {
        puts.push(request.postDataJSON() as Record<string, unknown>);
      }
    });
    page.on('response', (response) => void response.text().then(keep, () => undefined));
  });
  afterEach(() => context.close());
  const keep = (body: string): number => responses.push(body);

  async function signInAsBearer(): Promise<void> {
    await page.goto(`${h.started.urls.base}/?token=${ADMIN_TOKEN}`);
    await page.locator('#app').waitFor();
    await page.locator('#bearer-option').click();
  }
  const input = (id: string): Locator => page.locator(`#${id}`);
  const fieldOf = (id: string): Locator =>
    input(id).locator('xpath=ancestor::div[contains(@class, "field")][1]');
  const errorFor = (name: string): Locator => page.locator(`[data-error-for="${name}"]`);
  const text = async (locator: Locator): Promise<string> =>
    (await locator.innerText()).replace(/\s+/g, ' ').trim();
  async function shownControls(): Promise<string[]> {
    const shown: string[] = [];
    for (const id of CONTROLS) if (await fieldOf(id).isVisible()) shown.push(id);
    return shown;
  }
  /** Microsoft Graph and Google cannot be reached from here: the check fails, the admin saves anyway. */
  const saved = (): Promise<void> => saveAnyway(page);

  it('shows exactly the fields of the provider chosen, with its proposals', async () => {
    await signInAsBearer();
    const options = await input('provider')
      .locator('option')
      .evaluateAll((all) => all.map((o) => o.getAttribute('value')));
    expect(options).toEqual(['microsoft', 'microsoft-graph', 'google']);
    for (const provider of ['microsoft', 'microsoft-graph', 'google', 'microsoft']) {
      await input('provider').selectOption(provider);
      expect([provider, await shownControls()]).toEqual([provider, SHOWN[provider]]);
      await page.screenshot({
        path: join(ARTIFACTS, `admin-page-provider-${provider}.png`),
        fullPage: true,
      });
    }
    // Each SMTP provider proposes its own server; one typed by the admin stays.
    expect(await input('hostname').inputValue()).toBe('smtp.office365.com');
    expect(await input('port').inputValue()).toBe('587');
    await input('provider').selectOption('google');
    expect(await input('hostname').inputValue()).toBe('smtp.gmail.com');
    expect(await input('port').inputValue()).toBe('465');
    expect(await input('useTls').isChecked()).toBe(true);
    expect(await page.getByText('465 (implicit TLS) or 587 (STARTTLS)').isVisible()).toBe(true);
    await input('hostname').fill('smtp-relay.gmail.com');
    await input('provider').selectOption('microsoft');
    expect(await input('hostname').inputValue()).toBe('smtp-relay.gmail.com');
    await input('provider').selectOption('microsoft-graph');
    expect(await page.getByText('no server, port or TLS to set').isVisible()).toBe(true);
  });

  it('saves Microsoft Graph settings without any SMTP field, and keeps the secret on the next save', async () => {
    await signInAsBearer();
    await input('provider').selectOption('microsoft-graph');
    await input('username').fill('noreply@contoso.example');
    expect(await input('senderEmail').inputValue()).toBe('noreply@contoso.example');
    await input('clientId').fill('11111111-2222-3333-4444-555555555555');
    await input('clientSecret').fill(CLIENT_SECRET);
    await input('tenantId').fill('contoso.onmicrosoft.com');
    await saved();
    expect(await text(page.locator('#form-status'))).toBe(
      'Saved. Mail now goes through Microsoft Graph as noreply@contoso.example.',
    );
    const graph = {
      type: 'bearer',
      provider: 'microsoft-graph',
      username: 'noreply@contoso.example',
      senderEmail: 'noreply@contoso.example',
      clientId: '11111111-2222-3333-4444-555555555555',
      tenantId: 'contoso.onmicrosoft.com',
    };
    expect(puts[0]).toEqual({ ...graph, clientSecret: CLIENT_SECRET });
    expect((await h.call('GET', '/smtp-settings')).body.settings).toEqual({
      ...graph,
      clientSecretSet: true,
    });

    await page.reload();
    await page.locator('#app').waitFor();
    expect(await shownControls()).toEqual(SHOWN['microsoft-graph']);
    expect(await input('clientSecret').getAttribute('placeholder')).toBe('stored');
    expect(await text(page.locator('#route-banner'))).toContain(
      'Mail goes through Microsoft Graph as noreply@contoso.example',
    );
    await page.locator('#optional-fields summary').click();
    await input('senderName').fill('Contoso Reports');
    await saved();
    expect(puts[1]).not.toHaveProperty('clientSecret');
    expect((await h.call('GET', '/smtp-settings')).body.settings).toEqual({
      ...graph,
      clientSecretSet: true,
      senderName: 'Contoso Reports',
    });
    expect((await h.call('GET', '/smtp-settings/history')).body[0].changed).toEqual(['senderName']);
    expect(responses.join('\n')).not.toContain(CLIENT_SECRET);
  });

  it('saves Google Workspace settings with the private key pasted whole, and never shows it', async () => {
    const { privateKey } = await newServiceAccountKey();
    await signInAsBearer();
    await input('provider').selectOption('google');
    await input('username').fill('noreply@example.com');
    await input('serviceAccountEmail').fill('mailer@my-project.iam.gserviceaccount.com');
    await input('privateKey').fill(privateKey);
    await saved();
    expect(await text(page.locator('#form-status'))).toBe(
      'Saved. Mail now goes through smtp.gmail.com:465.',
    );
    const google = {
      type: 'bearer',
      provider: 'google',
      hostname: 'smtp.gmail.com',
      port: 465,
      useTls: true,
      username: 'noreply@example.com',
      senderEmail: 'noreply@example.com',
      serviceAccountEmail: 'mailer@my-project.iam.gserviceaccount.com',
    };
    expect(puts[0]).toEqual({ ...google, privateKey: privateKey.trim() });
    expect((await h.call('GET', '/smtp-settings')).body.settings).toEqual({
      ...google,
      privateKeySet: true,
    });

    await page.reload();
    await page.locator('#app').waitFor();
    expect(await shownControls()).toEqual(SHOWN.google);
    expect(await input('privateKey').inputValue()).toBe('');
    expect(await input('privateKey').getAttribute('placeholder')).toBe('stored');
    expect(
      await fieldOf('privateKey').getByText('Leave empty to keep the stored key').isVisible(),
    ).toBe(true);
    await input('provider').selectOption('microsoft');
    expect(await input('clientSecret').getAttribute('placeholder')).toBe('');
    await input('provider').selectOption('google');
    await input('port').fill('587');
    await input('tlsMode').selectOption('starttls');
    // The key goes where the port says: moved, it must be pasted again.
    await page.locator('#save').click();
    await errorFor('privateKey').getByText('Private key must be re-entered because').waitFor();
    expect(puts[1]).not.toHaveProperty('privateKey');
    await input('privateKey').fill(privateKey);
    await saved();
    expect(puts[2]).toMatchObject({
      port: 587,
      tlsMode: 'starttls',
      privateKey: privateKey.trim(),
    });
    expect((await h.call('GET', '/smtp-settings')).body.settings).toEqual({
      ...google,
      privateKeySet: true,
      port: 587,
      tlsMode: 'starttls',
    });
    await page.screenshot({
      path: join(ARTIFACTS, 'admin-page-provider-google-saved.png'),
      fullPage: true,
    });

    expect(await input('privateKey').inputValue()).toBe('');
    // No line of the key in anything the API answered the page (nor in the page itself).
    const seen = responses.join('\n') + (await page.content());
    for (const line of privateKey
      .split('\n')
      .filter((l) => l.length > 20 && !l.startsWith('-----'))) {
      expect(seen).not.toContain(line);
    }
  });

  it('shows validation errors next to the fields, with their labels', async () => {
    await signInAsBearer();
    await input('provider').selectOption('google');
    await input('username').fill('noreply@example.com');
    await input('serviceAccountEmail').fill('not-an-address');
    await input('privateKey').fill(
      '-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----',
    );
    await page.locator('#save').click();
    await errorFor('privateKey').getByText('Private key must be').waitFor();
    expect(await text(errorFor('privateKey'))).toContain(
      "Private key must be the service account's private_key from its JSON key file",
    );
    expect(await text(errorFor('serviceAccountEmail'))).toContain(
      "Service account email must be the service account's client_email",
    );
    expect(await input('privateKey').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#settings-form').innerText()).not.toMatch(
      /serviceAccountEmail|privateKey/,
    );

    await input('provider').selectOption('microsoft-graph');
    await input('clientId').fill('not-a-guid');
    await input('clientSecret').fill(CLIENT_SECRET);
    await input('tenantId').fill('contoso.onmicrosoft.com');
    await page.locator('#save').click();
    await errorFor('clientId').getByText('Client ID must be a GUID').waitFor();
    expect(await text(errorFor('privateKey'))).toBe('');
    expect((await h.call('GET', '/smtp-settings')).body.source).toBe('relay');
  });

  it('shows the stage of a failed check, Graph’s mailbox stage included, and the field to fix', async () => {
    await page.route('**/smtp-settings/verify', (route) =>
      route.fulfill({
        status: 200,
        contentType: 'application/json',
        body: JSON.stringify({
          ok: false,
          stage: 'mailbox',
          code: 'ErrorAccessDenied',
          message: 'The app may not send as noreply@contoso.example.',
          field: 'username',
          durationMs: 12,
          route: 'custom',
        }),
      }),
    );
    await signInAsBearer();
    await input('provider').selectOption('microsoft-graph');
    await input('username').fill('noreply@contoso.example');
    await page.locator('#verify').click();
    await page.locator('#form-status').getByText('Verification failed').waitFor();
    expect(await text(page.locator('#form-status > p'))).toBe(
      'Verification failed while checking the mailbox: The app may not send as noreply@contoso.example. Field to check: Username.',
    );
    // The step and the code, for the IT team, behind Details.
    await page.locator('#form-status details summary').click();
    expect(await text(page.locator('#form-status details'))).toBe(
      'Details Step mailbox Code ErrorAccessDenied',
    );
    expect(await text(errorFor('username'))).toBe('Check Username: the check failed on it.');
    expect(await input('username').getAttribute('aria-invalid')).toBe('true');
  });
});
