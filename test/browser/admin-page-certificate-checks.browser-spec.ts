import type { Browser, Route } from 'playwright-core';
import { appCertificate, type AppCertificate } from '../fixtures/app-certificate';
import { startSampleApp, type SampleAppHarness } from '../fixtures/sample-app-harness';
import { APP, CertificateTab, MAILBOX, NO_ENTRA_ID, pasted, savedWith } from './certificate-kit';
import { launchChromium } from './chromium';
import { saveAnyway } from './save-anyway';

const ADMIN_TOKEN = 'browser-certificate-checks-token-2b7f90';

/** The answer of verify or test-email when Entra ID refused a token request, as the API words it. */
function refusedByEntraId(code: string, field: string, message: string) {
  return (route: Route) =>
    route.fulfill({
      status: 200,
      contentType: 'application/json',
      body: JSON.stringify({
        ok: false,
        stage: 'token',
        code,
        message,
        field,
        durationMs: 40,
        route: 'custom',
      }),
    });
}

/*
 * A certificate for Microsoft Graph as for SMTP, and the checks that use it: Verify sends the
 * pasted certificate (or none, to check the stored one), and what Entra ID refuses is named at its
 * field. Entra ID cannot be reached from here: its refusals are the API's own answers for
 * AADSTS700027 and AADSTS7000274. One app for the file; each test on a tab of its own.
 */
describe('The admin page: checks with a Microsoft 365 certificate', () => {
  let h: SampleAppHarness;
  let browser: Browser;
  let t: CertificateTab;
  let uploaded: AppCertificate;

  beforeAll(async () => {
    uploaded = await appCertificate({ commonName: 'contoso-mailer' });
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

  it('offers the certificate for Microsoft Graph too, and not for Google Workspace', async () => {
    await t.open();
    await t.page.locator('#bearer-option').click();
    await t.input('provider').selectOption('microsoft-graph');
    await t.input('username').fill(MAILBOX);
    await t.input('clientId').fill(APP.clientId);
    await t.input('tenantId').fill(APP.tenantId);
    await t.paste(uploaded.certificate, uploaded.privateKey);
    await saveAnyway(t.page);
    expect(t.sent.put[0]).toEqual({
      type: 'bearer',
      provider: 'microsoft-graph',
      username: MAILBOX,
      senderEmail: MAILBOX,
      clientId: APP.clientId,
      tenantId: APP.tenantId,
      clientCertificate: pasted(uploaded),
    });
    expect((await h.call('GET', '/smtp-settings')).body.settings).toMatchObject({
      provider: 'microsoft-graph',
      clientCertificateSet: true,
      clientCertificate: { thumbprintSha256: uploaded.thumbprintSha256 },
    });
    expect(await t.text('#certificate-subject')).toBe('CN=contoso-mailer');

    await t.input('provider').selectOption('google');
    expect(await t.input('credential-certificate').isVisible()).toBe(false);
    expect(await t.certificateBox().isVisible()).toBe(false);
    expect(await t.input('privateKey').isVisible()).toBe(true);
  });

  it('verifies with the pasted or the stored certificate, and marks the field Entra ID blames', async () => {
    const { page } = t;
    await t.fillMicrosoft();
    await t.paste(uploaded.certificate, uploaded.privateKey);
    await page.route(
      '**/smtp-settings/verify',
      refusedByEntraId(
        'AADSTS700027',
        'clientCertificate',
        'clientCertificate is not registered on the app (no certificate with this thumbprint): upload this certificate (cert.pem) to the app registration in the Azure portal (Certificates & secrets, Certificates), or enter the one that is there',
      ),
    );
    await page.locator('#verify').click();
    const status = page.locator('#form-status');
    await status.getByText('Verification failed').waitFor();
    expect(await t.text(status.locator('p'))).toBe(
      'Verification failed while getting permission from Microsoft or Google (the sign-in token): Certificate is not registered on the app (no certificate with this thumbprint): upload this certificate (cert.pem) to the app registration in the Azure portal (Certificates & secrets, Certificates), or enter the one that is there. Field to check: Certificate.',
    );
    expect(await t.text(t.errorFor('clientCertificate'))).toBe(
      'Check Certificate: the check failed on it.',
    );
    expect(await t.input('clientCertificate').getAttribute('aria-invalid')).toBe('true');
    expect(t.sent.verify[0]).toMatchObject({ clientCertificate: pasted(uploaded) });
    expect(t.sent.verify[0]).not.toHaveProperty('clientSecret');

    // The API itself takes the pasted certificate, and goes on to ask Entra ID for a token.
    await page.unroute('**/smtp-settings/verify');
    await page.locator('#verify').click();
    await status.getByText('Could not get a token from Microsoft Entra ID').waitFor();
    expect(t.sent.verify[1]).toEqual(t.sent.verify[0]);

    // Saved, with nothing pasted: Verify checks the stored certificate, and no view is sent back.
    await savedWith(h, uploaded);
    await t.reload();
    await page.locator('#verify').click();
    await status.getByText('Could not get a token from Microsoft Entra ID').waitFor();
    expect(t.sent.verify[2]).toMatchObject({ provider: 'microsoft', clientId: APP.clientId });
    expect(t.sent.verify[2]).not.toHaveProperty('clientCertificate');
    expect(t.sent.verify[2]).not.toHaveProperty('clientSecret');
    await t.expectNoKeyOf(uploaded);
  });

  it('names the certificate private key when a test email fails on it', async () => {
    const { page } = t;
    await savedWith(h, uploaded);
    await page.route(
      '**/smtp-settings/test-email',
      refusedByEntraId(
        'AADSTS7000274',
        'clientCertificate.privateKey',
        'clientCertificate.privateKey: Entra ID could not verify the client assertion with the registered certificate: enter the private key of that certificate, an RSA key of at least 2048 bits',
      ),
    );
    await t.open();
    await t.input('testTo').fill('someone@contoso.example');
    await page.locator('#send-test').click();
    const test = page.locator('#test-status');
    await test.getByText('Not sent').waitFor();
    expect(await t.text(test.locator('p'))).toBe(
      'Not sent: it failed while getting permission from Microsoft or Google (the sign-in token): Certificate private key: Entra ID could not verify the client assertion with the registered certificate: enter the private key of that certificate, an RSA key of at least 2048 bits. Field to check: Certificate private key.',
    );
    expect(await t.text(t.errorFor('clientCertificate.privateKey'))).toBe(
      'Check Certificate private key: the check failed on it.',
    );
    expect(await t.keyBox().getAttribute('aria-invalid')).toBe('true');
    // The status line at the top says it in the same words.
    const line = page.locator('#route-banner #test-failure');
    await line.waitFor();
    expect(await t.text(line)).toContain('Certificate private key: Entra ID could not verify');
    expect(await t.text(line)).toContain('Check Certificate private key.');
  });
});
