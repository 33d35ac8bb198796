import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { appCertificate, daysFromNow, type AppCertificate } from '../fixtures/app-certificate';
import { startSampleApp, type SampleAppHarness } from '../fixtures/sample-app-harness';
import { CertificateTab, NO_ENTRA_ID, pasted, savedWith } from './certificate-kit';
import { launchChromium } from './chromium';
import { saveAnyway } from './save-anyway';

const ADMIN_TOKEN = 'browser-certificate-token-61d2c4';
const CLIENT_SECRET = 'browser-certificate-client-secret-9e07';
const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts');
const DAY_MS = 24 * 60 * 60 * 1000;

/*
 * Microsoft 365 with a certificate instead of a client secret, on the admin page: the admin chooses
 * the credential, pastes the certificate and its key, and sees which certificate is stored and
 * until when, never the key. Entra ID cannot be reached from here, so Save's check fails at the
 * token and the admin saves anyway. One app for the file; each test on a tab of its own.
 */
describe('The admin page: a certificate instead of a client secret for Microsoft 365', () => {
  let h: SampleAppHarness;
  let browser: Browser;
  let t: CertificateTab;
  /** Valid for a year. */
  let uploaded: AppCertificate;
  /** Another certificate: its key does not belong to `uploaded`. */
  let other: AppCertificate;
  /** Expiring in 10 days. */
  let soon: AppCertificate;

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    [uploaded, other, soon] = await Promise.all([
      appCertificate({ commonName: 'contoso-mailer' }),
      appCertificate({ commonName: 'someone-else' }),
      appCertificate({ commonName: 'contoso-renewal', notAfter: daysFromNow(10) }),
    ]);
    h = await startSampleApp({ MICROSOFT_AUTHORITY_HOST: NO_ENTRA_ID }, ADMIN_TOKEN);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });
  beforeEach(async () => {
    await h.call('DELETE', '/smtp-settings');
    await h.call('PUT', '/upgrades/smtp-oauth');
    t = await CertificateTab.start(browser, h, ADMIN_TOKEN);
  });
  afterEach(() => t.close());

  it('saves a pasted certificate and key, shows the certificate, and never the key', async () => {
    const { page } = t;
    await t.fillMicrosoft();
    expect(await t.input('credential-secret').isChecked()).toBe(true);
    expect(await t.certificateBox().isVisible()).toBe(false);
    await t.paste(uploaded.certificate, uploaded.privateKey);
    expect(await t.input('clientSecret').isVisible()).toBe(false);

    // Save checks first: the certificate passed the API's rules, and the check went on to the token.
    await page.locator('#save').click();
    await page.locator('#form-status').getByText('(the sign-in token)').waitFor();
    await page.locator('#save-anyway').click();
    await page.locator('#form-status').getByText('Saved.').waitFor();
    expect(t.sent.put[0]).toMatchObject({
      provider: 'microsoft',
      clientCertificate: pasted(uploaded),
    });
    expect(t.sent.put[0]).not.toHaveProperty('clientSecret');

    const expires = uploaded.notAfter.toISOString().slice(0, 10);
    const facts = `Subject CN=contoso-mailer SHA-256 thumbprint ${uploaded.thumbprintSha256} Expires ${expires}`;
    expect(await t.text('#certificate-stored')).toMatch(
      new RegExp(`^Stored certificate ${facts} \\(in 36[56] days\\)$`),
    );
    expect(await page.locator('#certificate-expiry').isHidden()).toBe(true);
    expect(await t.certificateBox().inputValue()).toBe('');
    expect(await t.keyBox().inputValue()).toBe('');
    await page.screenshot({ path: join(ARTIFACTS, 'admin-page-certificate.png'), fullPage: true });

    await t.reload();
    expect(await t.input('credential-certificate').isChecked()).toBe(true);
    expect(await t.text('#certificate-stored')).toContain(facts);
    expect(await t.keyBox().inputValue()).toBe('');
    expect(await t.keyBox().getAttribute('placeholder')).toBe('stored');
    expect(await page.getByText('Leave both empty to keep the stored').isVisible()).toBe(true);
    // Saved again without pasting: the stored certificate stays, and its view is not sent back.
    await page.locator('#optional-fields summary').click();
    await t.input('senderName').fill('Contoso Reports');
    await saveAnyway(page);
    expect(t.sent.put[1]).not.toHaveProperty('clientCertificate');
    expect(t.sent.put[1]).not.toHaveProperty('clientSecret');
    expect((await h.call('GET', '/smtp-settings/history')).body[0].changed).toEqual(['senderName']);
    expect((await h.call('GET', '/smtp-settings')).body.settings).toMatchObject({
      senderName: 'Contoso Reports',
      clientCertificateSet: true,
      clientCertificate: { thumbprintSha256: uploaded.thumbprintSha256 },
    });
    await t.expectNoKeyOf(uploaded);
  });

  it('warns of a certificate that expires within 30 days, and turns red once it has expired', async () => {
    const { page } = t;
    const saved = await savedWith(h, soon);
    const day = soon.notAfter.toISOString().slice(0, 10);
    expect(saved.warnings).toContainEqual(
      expect.stringContaining(`clientCertificate expires on ${day}`),
    );
    await t.open();
    // The API's warning, in the form's words, next to the others (this server is not Microsoft's).
    expect(await t.text(page.locator('#warnings p', { hasText: 'expires on' }))).toMatch(
      new RegExp(`^Warning: Certificate expires on ${day} \\(in (9|10) days\\): create a new`),
    );
    const note = page.locator('#certificate-expiry');
    expect(await note.getAttribute('data-tone')).toBe('warning');
    expect(await t.text(note)).toMatch(
      new RegExp(`^Expires in (9|10) days, on ${day}: create a new certificate, upload it`),
    );
    await page.screenshot({
      path: join(ARTIFACTS, 'admin-page-certificate-expiring.png'),
      fullPage: true,
    });

    // The page's clock a day past the expiry: what the admin sees once it has expired.
    await page.clock.setFixedTime(new Date(soon.notAfter.getTime() + DAY_MS));
    await t.reload();
    expect(await note.getAttribute('data-tone')).toBe('error');
    expect(await t.text(note)).toBe(
      `Expired on ${day}: Entra ID refuses it, so no mail can be sent. To fix it, create a new certificate, upload it to the app registration (Certificates & secrets, Certificates) and paste it here with its private key.`,
    );
    expect(await t.text('#certificate-expires')).toBe(`${day} (expired)`);
  });

  it('shows each problem at its field: a key of another certificate, a bad key, a missing one', async () => {
    const { page } = t;
    await t.fillMicrosoft();
    await t.paste(uploaded.certificate, other.privateKey);
    await page.locator('#save').click();
    await t.errorFor('clientCertificate').getByText('does not belong').waitFor();
    expect(await t.text(t.errorFor('clientCertificate'))).toBe(
      'Certificate: the private key does not belong to this certificate (enter the key that was created with it)',
    );
    expect(await t.input('clientCertificate').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#form-errors').isHidden()).toBe(true);

    await t.keyBox().fill('-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----');
    await page.locator('#save').click();
    await t.errorFor('clientCertificate.privateKey').getByText('must be a private key').waitFor();
    expect(await t.text(t.errorFor('clientCertificate.privateKey'))).toMatch(
      /^Certificate private key must be a private key in PEM \(-----BEGIN PRIVATE KEY-----/,
    );
    expect(await t.keyBox().getAttribute('aria-invalid')).toBe('true');
    expect(await t.text(t.errorFor('clientCertificate'))).toBe('');

    await t.keyBox().fill('');
    await page.locator('#save').click();
    await t.errorFor('clientCertificate.privateKey').getByText('is required').waitFor();
    expect(await t.text(t.errorFor('clientCertificate.privateKey'))).toBe(
      'Certificate private key is required',
    );

    // Nothing pasted and nothing stored: said at once, nothing sent.
    const puts = t.sent.put.length;
    await t.certificateBox().fill('');
    await page.locator('#save').click();
    await t.errorFor('clientCertificate.certificate').getByText('Paste the certificate').waitFor();
    expect(await t.certificateBox().getAttribute('aria-invalid')).toBe('true');
    expect(t.sent.put.length).toBe(puts);
    expect(await t.text('#settings-form')).not.toMatch(/clientCertificate/);
    expect((await h.call('GET', '/smtp-settings')).body.source).toBe('relay');
    await t.expectNoKeyOf(other);
  });

  it('switches from a certificate to a client secret and back, each time with the new one', async () => {
    const { page } = t;
    await savedWith(h, uploaded);
    await t.open();
    expect(await t.input('credential-certificate').isChecked()).toBe(true);
    expect(await t.input('clientSecret').isVisible()).toBe(false);

    await t.input('credential-secret').check();
    expect(await t.input('clientSecret').isVisible()).toBe(true);
    expect(await t.certificateBox().isVisible()).toBe(false);
    expect(await t.text('#credential-switch')).toBe(
      'A certificate is stored: saving with a client secret replaces it.',
    );
    // An empty secret would keep the certificate: the page asks for one instead.
    await page.locator('#save').click();
    await t.errorFor('clientSecret').getByText('Enter a client secret to switch').waitFor();
    expect(t.sent.put).toHaveLength(0);

    await t.input('clientSecret').fill(CLIENT_SECRET);
    await saveAnyway(page);
    expect(t.sent.put.at(-1)).toMatchObject({ clientSecret: CLIENT_SECRET });
    expect(t.sent.put.at(-1)).not.toHaveProperty('clientCertificate');
    const secretSaved = (await h.call('GET', '/smtp-settings')).body.settings;
    expect(secretSaved).toMatchObject({ clientSecretSet: true });
    expect(secretSaved).not.toHaveProperty('clientCertificate');
    expect(await t.input('credential-secret').isChecked()).toBe(true);
    expect(await t.input('clientSecret').getAttribute('placeholder')).toBe('stored');
    expect(await page.locator('#certificate-stored').isHidden()).toBe(true);

    await t.input('credential-certificate').check();
    expect(await t.text('#credential-switch')).toBe(
      'A client secret is stored: saving with a certificate replaces it.',
    );
    expect(await t.keyBox().getAttribute('placeholder')).toBe('');
    await t.paste(uploaded.certificate, uploaded.privateKey);
    await saveAnyway(page);
    const certificateSaved = (await h.call('GET', '/smtp-settings')).body.settings;
    expect(certificateSaved).toMatchObject({
      clientCertificateSet: true,
      clientCertificate: { subject: 'CN=contoso-mailer' },
    });
    expect(certificateSaved).not.toHaveProperty('clientSecretSet');
    expect(await page.locator('#credential-switch').isHidden()).toBe(true);
  });
});
