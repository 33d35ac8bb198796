import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import type { AppCertificate } from '../fixtures/app-certificate';
import type { SampleAppHarness } from '../fixtures/sample-app-harness';

/*
 * What the specs of the admin page's certificate credential share: the app registration, a tab
 * that records what the page sends and what the API answers it, and the Microsoft form.
 */

export const MAILBOX = 'noreply@contoso.example';
/** The app registration in Entra ID. */
export const APP = {
  tenantId: '9a8b7c6d-aaaa-4bbb-8ccc-ddddeeeeffff',
  clientId: '0b1e2f3a-1111-4222-8333-444455556666',
};
/**
 * MICROSOFT_AUTHORITY_HOST where nothing listens: every token request fails at once, on this
 * machine. (The sample app has no option to trust a fake Entra ID's CA, so none is reached.)
 */
export const NO_ENTRA_ID = 'https://127.0.0.1:1';

type Body = Record<string, unknown>;

/** A tab of its own that keeps the bodies of Save's checked PUT and of Verify, and every answer. */
export class CertificateTab {
  readonly sent: { put: Body[]; verify: Body[] } = { put: [], verify: [] };
  private readonly responses: string[] = [];

  private constructor(
    private readonly context: BrowserContext,
    readonly page: Page,
    private readonly url: string,
  ) {
    page.on('request', (request) => {
      const target = request.url();
      if (request.method() === 'PUT' && target.endsWith('/smtp-settings?verify=true')) {
        this.sent.put.push(request.postDataJSON() as Body);
      }
      if (request.method() === 'POST' && target.endsWith('/smtp-settings/verify')) {
        this.sent.verify.push(request.postDataJSON() as Body);
      }
    });
    page.on('response', (response) => {
      response.text().then(
        (body) => void this.responses.push(body),
        () => undefined,
      );
    });
  }

  static async start(
    browser: Browser,
    h: SampleAppHarness,
    token: string,
  ): Promise<CertificateTab> {
    const context = await browser.newContext({ viewport: { width: 1100, height: 1000 } });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    return new CertificateTab(context, page, `${h.started.urls.base}/?token=${token}`);
  }

  close(): Promise<void> {
    return this.context.close();
  }

  /** By id: the certificate's boxes have a dot in theirs. */
  input(id: string): Locator {
    return this.page.locator(`[id="${id}"]`);
  }
  certificateBox(): Locator {
    return this.input('clientCertificate.certificate');
  }
  keyBox(): Locator {
    return this.input('clientCertificate.privateKey');
  }
  errorFor(name: string): Locator {
    return this.page.locator(`[data-error-for="${name}"]`);
  }
  /** What the admin reads: rendered text, whitespace collapsed. */
  async text(locator: Locator | string): Promise<string> {
    const target = typeof locator === 'string' ? this.page.locator(locator) : locator;
    return (await target.innerText()).replace(/\s+/g, ' ').trim();
  }

  async open(): Promise<void> {
    await this.page.goto(this.url);
    await this.page.locator('#app').waitFor();
  }

  async reload(): Promise<void> {
    await this.page.reload();
    await this.page.locator('#app').waitFor();
  }

  /** The Microsoft SMTP form, filled but for its credential (nothing listens on port 1). */
  async fillMicrosoft(): Promise<void> {
    await this.open();
    await this.page.locator('#bearer-option').click();
    await this.input('hostname').fill('127.0.0.1');
    await this.input('port').fill('1');
    await this.input('username').fill(MAILBOX);
    await this.input('clientId').fill(APP.clientId);
    await this.input('tenantId').fill(APP.tenantId);
  }

  /** Chooses Certificate and pastes both PEMs. */
  async paste(certificate: string, privateKey: string): Promise<void> {
    await this.input('credential-certificate').check();
    await this.certificateBox().fill(certificate);
    await this.keyBox().fill(privateKey);
  }

  /** No line of the keys in anything the API answered the page, nor in the page itself. */
  async expectNoKeyOf(...certificates: AppCertificate[]): Promise<void> {
    const seen = this.responses.join('\n') + (await this.page.content());
    for (const certificate of certificates) {
      for (const line of keyLines(certificate)) expect(seen).not.toContain(line);
    }
  }
}

/** The lines of a key that must never reach the page: all but its BEGIN and END lines. */
export function keyLines(certificate: AppCertificate): string[] {
  return certificate.privateKey
    .split('\n')
    .filter((line) => line.length > 8 && !line.startsWith('-----'));
}

/** Both PEMs as the page sends them: the whitespace around each is trimmed. */
export function pasted(certificate: AppCertificate): { certificate: string; privateKey: string } {
  return { certificate: certificate.certificate.trim(), privateKey: certificate.privateKey.trim() };
}

/** Microsoft SMTP settings with `certificate`, saved through the API; its answer. */
export async function savedWith(
  h: SampleAppHarness,
  certificate: AppCertificate,
): Promise<{ warnings: string[] }> {
  const res = await h.call('PUT', '/smtp-settings', {
    type: 'bearer',
    provider: 'microsoft',
    hostname: '127.0.0.1',
    port: 1,
    useTls: true,
    username: MAILBOX,
    senderEmail: MAILBOX,
    clientId: APP.clientId,
    tenantId: APP.tenantId,
    clientCertificate: { certificate: certificate.certificate, privateKey: certificate.privateKey },
  });
  expect(res.status).toBe(200);
  return res.body;
}
