import type { Browser, Locator } from 'playwright-core';
import { startSampleApp, type SampleAppHarness } from '../fixtures/sample-app-harness';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';
import { launchChromium } from './chromium';
import { details, settingsOf, signedIn as signedInWith, text } from './status-kit';

const TOKEN = 'browser-words-token-9e3a51';
const RIGHT_PASSWORD = 'browser-words-right-5c02';
const WRONG_PASSWORD = 'browser-words-wrong-71fd';
const signedIn = (browser: Browser, h: SampleAppHarness) => signedInWith(browser, h, TOKEN);

/*
 * Words a non-technical admin knows: no code in a sentence (codes are behind Details), the dev
 * inbox offered only for mail that went there, Bearer explained, the TLS mode only with TLS on.
 */
describe('The admin page in an admin’s words', () => {
  let h: SampleAppHarness;
  let peer: SmtpPeer;
  let browser: Browser;

  beforeAll(async () => {
    peer = await startSmtpPeer({
      users: { 'page-user': RIGHT_PASSWORD },
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
    await h.call('DELETE', '/smtp-settings');
  });

  it('points at the dev inbox only after a test email that went there', async () => {
    const inbox = h.started.devInbox!;
    const page = await signedIn(browser, h);
    const sendTest = async (): Promise<Locator> => {
      await page.locator('#testTo').fill('ada@example.com');
      await page.locator('#send-test').click();
      const status = page.locator('#test-status.success');
      await status.getByText('Test email sent to ada@example.com').waitFor();
      return status;
    };
    try {
      // The relay of the sample app is the dev inbox.
      expect(await (await sendTest()).getByText('Open the dev inbox').count()).toBe(1);

      await h.call('PUT', '/smtp-settings', settingsOf(peer, RIGHT_PASSWORD));
      await page.reload();
      await page.locator('#app').waitFor();
      const own = await sendTest();
      expect(await text(own)).toBe('Test email sent to ada@example.com through your SMTP server.');
      expect(await own.locator('a').count()).toBe(0);

      // The admin's own server is the dev inbox: the mail is there.
      const devInbox = { ...settingsOf(peer, RIGHT_PASSWORD), hostname: inbox.host };
      await h.call('PUT', '/smtp-settings', { ...devInbox, port: inbox.port });
      await page.reload();
      await page.locator('#app').waitFor();
      expect(await (await sendTest()).getByText('Open the dev inbox').count()).toBe(1);
    } finally {
      await page.context().close();
    }
  });

  it('says what a failed check means without codes, and keeps the codes behind Details', async () => {
    const page = await signedIn(browser, h);
    try {
      await page.locator('#hostname').fill(peer.host);
      await page.locator('#port').fill(String(peer.port));
      await page.locator('#username').fill('page-user');
      await page.locator('#password').fill(WRONG_PASSWORD);
      await page.locator('#senderEmail').fill('noreply@acme.example');
      await page.locator('#verify').click();
      const status = page.locator('#form-status.error');
      await status.waitFor();
      const said = await text(status.locator('p'));
      expect(said).toMatch(/^Verification failed while signing in to the server: \S/);
      expect(said).not.toMatch(/auth step|\(535\)|EAUTH/);
      expect(await details(page, '#form-status')).toMatch(/Step auth Code 535/);

      await page.locator('#save').click();
      await status.getByRole('button', { name: 'Save anyway' }).waitFor();
      expect(await text(status.locator('p').first())).toMatch(
        /^Not saved\. Verification failed while signing in to the server: /,
      );
      expect(await text(status)).not.toMatch(/auth step|\(535\)/);
    } finally {
      await page.context().close();
    }
  });

  it('explains Bearer beside its label, and shows the TLS mode only with TLS on, its choices whole', async () => {
    const page = await signedIn(browser, h);
    try {
      expect(await text(page.locator('#bearer-option'))).toBe(
        'Bearer Microsoft 365 or Google Workspace with OAuth 2.0: an app signs in, no password',
      );
      const tlsMode = page.locator('#tlsMode');
      expect(await page.locator('#port').inputValue()).toBe('25');
      expect(await tlsMode.isHidden()).toBe(true);
      await page.locator('#port').fill('587');
      await tlsMode.waitFor();
      const widths = await tlsMode.evaluate(measureOptions);
      for (const option of widths.options) {
        expect({ option: option.text, cut: option.width > widths.room }).toEqual({
          option: option.text,
          cut: false,
        });
      }
      await page.locator('label.switch').click(); // TLS off
      await tlsMode.waitFor({ state: 'hidden' });
      await page.locator('label.switch').click(); // on again
      await tlsMode.waitFor();
      await page.locator('#port').fill('25');
      await tlsMode.waitFor({ state: 'hidden' });
    } finally {
      await page.context().close();
    }
  });
});

/**
 * Runs in the page: the width of each option's text in the select's font, and the room the select
 * gives it: its inner width less the padding and Chromium's arrow (about 16 px). Sized to its
 * longest choice, the select fits each; in half the form's width (as it was), the longest is cut.
 */
function measureOptions(select: unknown): {
  room: number;
  options: { text: string; width: number }[];
} {
  interface Select {
    clientWidth: number;
    options: ArrayLike<{ text: string }>;
  }
  interface Page {
    getComputedStyle(el: unknown): { font: string; paddingLeft: string; paddingRight: string };
    document: {
      createElement(tag: 'canvas'): {
        getContext(kind: '2d'): { font: string; measureText(text: string): { width: number } };
      };
    };
  }
  const el = select as Select;
  const page = globalThis as unknown as Page;
  const style = page.getComputedStyle(el);
  const context = page.document.createElement('canvas').getContext('2d');
  context.font = style.font;
  const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
  return {
    room: el.clientWidth - padding - 16,
    options: Array.from(el.options, (option) => ({
      text: option.text,
      width: context.measureText(option.text).width,
    })),
  };
}
