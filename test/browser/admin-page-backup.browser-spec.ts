import { createServer, type AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { startSampleApp, type SampleAppHarness } from '../fixtures/sample-app-harness';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';
import { launchChromium } from './chromium';
import { CATCH_UP_MS, settingsOf, signedIn as signedInWith, statusLine, text } from './status-kit';

const TOKEN = 'browser-backup-token-7e21c4';
const BACKUP_PASSWORD = 'browser-backup-secret-5d8a';
const signedIn = (browser: Browser, h: SampleAppHarness) => signedInWith(browser, h, TOKEN);

/** A port on loopback where nothing listens: a server started and closed again. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve, reject) =>
    server.close((error) => (error ? reject(error) : resolve())),
  );
  return port;
}

/** The card collapsed: the add button, and none of the backup's fields on the page. */
async function expectCollapsed(page: Page): Promise<void> {
  await page.locator('#backup-add').waitFor();
  expect(await page.locator('#backup-form').isHidden()).toBe(true);
  expect(await page.locator('#backup-hostname').count()).toBe(0);
  expect(await text(page.locator('#backup-card'))).toContain('No backup connection is saved.');
}

/*
 * The admin page's backup connection: a card below the main settings, collapsed while none is
 * saved, with the main form's fields and its own Save, Verify, test email and Remove; the status
 * line names the backup while mail goes through it after a failover.
 */
describe('The admin page’s backup connection', () => {
  let h: SampleAppHarness;
  let backup: SmtpPeer;
  let browser: Browser;
  let deadPort: number;

  beforeAll(async () => {
    backup = await startSmtpPeer({
      users: { 'page-user': BACKUP_PASSWORD },
      serverOptions: { allowInsecureAuth: true },
    });
    deadPort = await closedPort();
    h = await startSampleApp({}, TOKEN);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await h?.close();
    await backup?.close();
  });
  beforeEach(async () => {
    await h.call('DELETE', '/smtp-settings/backup');
    await h.call('DELETE', '/smtp-settings');
  });

  it('adds a Basic backup: errors at their fields, Save, Verify and a test email through it, kept on reload without its password, and Remove collapses it', async () => {
    const { version } = (await h.call('GET', '/smtp-settings/backup')).body;
    const page = await signedIn(browser, h);
    try {
      await expectCollapsed(page);

      await page.locator('#backup-add').click();
      await page.locator('#backup-hostname').waitFor();
      // The same fields as the main form, its Basic type chosen.
      expect(await page.locator('input[name="backup-type"][value="basic"]').isChecked()).toBe(true);
      await page.locator('#backup-hostname').fill('not a host name');
      await page.locator('#backup-save').click();
      const hostnameError = page.locator('#backup-form [data-error-for="hostname"]');
      await hostnameError.getByText('Hostname must be').waitFor();
      // The main form is not touched by the backup's errors.
      expect(await page.locator('#settings-form [data-error-for="hostname"]').innerText()).toBe('');

      await page.locator('#backup-hostname').fill(backup.host);
      await page.locator('#backup-port').fill(String(backup.port));
      if (await page.locator('#backup-useTls').isChecked()) {
        await page.locator('#backup-form label.switch').click();
      }
      await page.locator('#backup-username').fill('page-user');
      await page.locator('#backup-password').fill(BACKUP_PASSWORD);
      await page.locator('#backup-senderEmail').fill('backup@acme.example');
      await page.locator('#backup-save').click();
      // Checked first (?verify=true): the server takes the sign-in, so it is saved at once.
      await page
        .locator('#backup-form-status')
        .getByText(`Saved. When the main connection cannot take a message, it goes through`)
        .waitFor();
      expect(await text(page.locator('#backup-form-status'))).toContain(
        `${backup.host}:${backup.port}`,
      );

      const saved = await h.call('GET', '/smtp-settings/backup');
      expect(saved.body).toMatchObject({
        version: version + 1,
        settings: {
          type: 'basic',
          hostname: backup.host,
          port: backup.port,
          username: 'page-user',
          senderEmail: 'backup@acme.example',
          passwordSet: true,
        },
      });
      expect(saved.text).not.toContain(BACKUP_PASSWORD);
      expect((await h.call('GET', '/smtp-settings')).body.backup.settings.hostname).toBe(
        backup.host,
      );
      // The main settings stay the relay: saving the backup is not saving them.
      expect((await h.call('GET', '/smtp-settings')).body.settings).toBe(null);

      await page.locator('#backup-verify').click();
      await page.locator('#backup-form-status').getByText('Backup connection verified').waitFor();

      const before = backup.messages.length;
      await page.locator('#backup-testTo').fill('ada@example.com');
      await page.locator('#backup-send-test').click();
      await page
        .locator('#backup-test-status')
        .getByText(`Test email sent to ada@example.com through the backup connection`)
        .waitFor();
      const received = await backup.waitForMessages(before + 1, CATCH_UP_MS);
      expect(received[before]!.envelope.to).toEqual(['ada@example.com']);

      await page.reload();
      await page.locator('#backup-hostname').waitFor();
      expect(await page.locator('#backup-hostname').inputValue()).toBe(backup.host);
      expect(await page.locator('#backup-port').inputValue()).toBe(String(backup.port));
      // Write-only: the password box is empty and says a password is stored.
      expect(await page.locator('#backup-password').inputValue()).toBe('');
      expect(await page.locator('#backup-password').getAttribute('placeholder')).toBe('stored');
      expect(await page.content()).not.toContain(BACKUP_PASSWORD);
      expect(await page.locator('#backup-add').isHidden()).toBe(true);

      // A save without the password keeps the stored one (the check signs in with it).
      await page.locator('#backup-senderName').evaluate((el) => {
        (el.closest('details') as { open: boolean }).open = true;
      });
      await page.locator('#backup-senderName').fill('Acme backup');
      await page.locator('#backup-save').click();
      await page.locator('#backup-form-status').getByText('Saved.').waitFor();
      expect((await h.call('GET', '/smtp-settings/backup')).body.version).toBe(version + 2);

      await page.locator('#backup-remove').click();
      await expectCollapsed(page);
      expect((await h.call('GET', '/smtp-settings/backup')).body.settings).toBe(null);

      // The history says which connection each change is about.
      const removed = page.locator('#history tbody tr:first-child', { hasText: 'Removed' });
      await removed.waitFor();
      expect(await text(removed)).toContain('Backup connection');
      const rows = await page
        .locator('#history tbody tr')
        .evaluateAll((all) =>
          all.map((row) => (row as { dataset: { connection: string } }).dataset.connection),
        );
      expect(rows.slice(0, 3)).toEqual(['backup', 'backup', 'backup']);
      expect(await text(page.locator('#history tbody tr').nth(1))).toMatch(
        /Backup connection Saved senderName/,
      );
    } finally {
      await page.context().close();
    }
  });

  it('says that mail goes through the backup, why, and when main is tried again, after a send fails over', async () => {
    const main = { ...settingsOf(backup, 'main-unused-9f1e'), port: deadPort };
    expect((await h.call('PUT', '/smtp-settings', main)).status).toBe(200);
    const saved = await h.call('PUT', '/smtp-settings/backup', settingsOf(backup, BACKUP_PASSWORD));
    expect(saved.status).toBe(200);
    const page = await signedIn(browser, h);
    try {
      // The backup card opens with it; the status line is green on main.
      await page.locator('#backup-hostname').waitFor();
      expect(await page.locator('#backup-add').isHidden()).toBe(true);
      expect(await statusLine(page, 'custom')).toContain(`127.0.0.1:${deadPort}`);

      const before = backup.messages.length;
      const sent = await h.call('POST', '/notifications', {
        to: 'ada@example.com',
        subject: 'Failover from the page',
        text: 'x',
      });
      expect(sent.status).toBeLessThan(300);
      const received = await backup.waitForMessages(before + 1, CATCH_UP_MS);
      expect(received[before]!.headers.subject).toBe('Failover from the page');

      const said = await statusLine(page, 'attention');
      expect(said).toContain(
        `Mail goes through the backup connection ${backup.host}:${backup.port}, because the main connection failed.`,
      );
      expect(said).toContain('The main connection could not take a message:');
      expect(said).toMatch(/The main connection is tried again at \d/);
      expect(await page.locator('#route-banner').getAttribute('data-reason')).toBe('failover');
      const delivery = (await h.call('GET', '/smtp-settings')).body.delivery;
      expect(delivery).toMatchObject({
        connection: 'backup',
        failover: { retryMainAt: expect.any(String) },
      });
      const retryAt = await page.evaluate(
        (iso) => new Date(iso).toLocaleTimeString(),
        delivery.failover.retryMainAt as string,
      );
      expect(said).toContain(`The main connection is tried again at ${retryAt}`);
    } finally {
      await page.context().close();
    }
  });

  it('is collapsed with none saved, Cancel collapses it again, and a backup that the check cannot reach is saved with "Save anyway"', async () => {
    const page = await signedIn(browser, h);
    try {
      await expectCollapsed(page);
      await page.locator('#backup-add').click();
      await page.locator('#backup-hostname').waitFor();
      await page.locator('#backup-cancel').click();
      await expectCollapsed(page);

      await page.locator('#backup-add').click();
      await page.locator('#backup-hostname').fill('127.0.0.1');
      await page.locator('#backup-port').fill(String(deadPort));
      if (await page.locator('#backup-useTls').isChecked()) {
        await page.locator('#backup-form label.switch').click();
      }
      await page.locator('#backup-username').fill('page-user');
      await page.locator('#backup-password').fill(BACKUP_PASSWORD);
      await page.locator('#backup-senderEmail').fill('backup@acme.example');
      await page.locator('#backup-save').click();
      const status = page.locator('#backup-form-status');
      await status.getByText('Not saved. Verification failed while connecting').waitFor();
      expect((await h.call('GET', '/smtp-settings/backup')).body.settings).toBe(null);
      await status.getByRole('button', { name: 'Save anyway' }).click();
      await status.getByText('Saved.').waitFor();
      expect((await h.call('GET', '/smtp-settings/backup')).body.settings.port).toBe(deadPort);
      // The main form has no "Save anyway" of its own: the backup's offer stays in its card.
      expect(await page.locator('#form-status').isHidden()).toBe(true);
    } finally {
      await page.context().close();
    }
  });
});
