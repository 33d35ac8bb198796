import type { Browser, Locator, Page } from 'playwright-core';
import type { SampleAppHarness } from '../fixtures/sample-app-harness';
import type { SmtpPeer } from '../fixtures/smtp-peer';

/*
 * What the specs of the admin page's status line and words share: a signed-in tab that can tell
 * whether it was reloaded, the line in its tone, and the facts behind a "Details" toggle.
 */

/** The page asks the API every 3 s, the outbox card every 3 s: a few rounds of each, and a send. */
export const CATCH_UP_MS = 20_000;
/** A code in brackets, as an SMTP reply or nodemailer names a failure: "(EAUTH)", "(535)". */
export const RAW_CODE = /\((E[A-Z]+|\d{3})\)/;

/** Basic settings of `peer` for the API, signing in as page-user with `password`. */
export function settingsOf(peer: SmtpPeer, password: string) {
  return {
    type: 'basic',
    hostname: peer.host,
    port: peer.port,
    useTls: false,
    username: 'page-user',
    password,
    senderEmail: 'noreply@acme.example',
  };
}

/** A tab of its own, signed in with `token`, and marked: a reload would lose the mark. */
export async function signedIn(
  browser: Browser,
  h: SampleAppHarness,
  token: string,
): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(CATCH_UP_MS);
  page.on('dialog', (dialog) => void dialog.accept());
  await page.goto(`${h.started.urls.base}/?token=${token}`);
  await page.locator('#app').waitFor();
  await page.evaluate(() => Object.assign(globalThis, { notReloaded: true }));
  return page;
}

/** Whether the tab still holds the mark of `signedIn`: it was not reloaded since. */
export const notReloaded = (page: Page): Promise<unknown> =>
  page.evaluate(() => (globalThis as { notReloaded?: boolean }).notReloaded);

/** What the admin reads: rendered text, whitespace collapsed. */
export const text = async (locator: Locator): Promise<string> =>
  (await locator.innerText()).replace(/\s+/g, ' ').trim();

/** The status line's sentence (not its Details), once it is in `tone`. */
export async function statusLine(page: Page, tone: string): Promise<string> {
  await page.locator(`#route-banner.${tone}`).waitFor();
  return text(page.locator('#route-banner > p'));
}

/** Every red box at the top of the page: there is never more than the status line. */
export async function redBoxes(page: Page): Promise<string[]> {
  return page
    .locator('.banner.blocked, .banner.failure')
    .evaluateAll((all) => all.map((box) => box.id));
}

/** Waits until the status line has applied an answer of the API asked for after this call. */
export async function caughtUp(page: Page): Promise<void> {
  const polls = Number((await page.locator('#route-banner').getAttribute('data-polls')) ?? 0);
  // Two more: the first may have been asked for before this call.
  await page.waitForFunction((n) => {
    type Doc = { querySelector(selector: string): { dataset: { polls?: string } } };
    const doc = (globalThis as unknown as { document: Doc }).document;
    return Number(doc.querySelector('#route-banner').dataset.polls ?? 0) >= n;
  }, polls + 2);
}

/** The facts behind the "Details" toggle in `within`, once it is opened. */
export async function details(page: Page, within = '#route-banner'): Promise<string> {
  const toggle = page.locator(`${within} details`);
  await toggle.locator('summary', { hasText: 'Details' }).click();
  return text(toggle);
}
