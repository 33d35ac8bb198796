import { explainRefusedRecipients, explainSmtpFailure } from './explain-smtp-failure';
import type { ExplainTarget } from './explain-target.interface';
import { parseSmtpReply } from './smtp-reply';
import { NO_AUTH_BEFORE_TLS } from './smtp-reply-explanations';
import { MAIL_PROVIDERS } from '../providers/mail-providers';

/** Every provider's replies, as the transport gives them to a target of Basic settings. */
const replies = MAIL_PROVIDERS.flatMap((provider) => provider.replies ?? []);

const SUBMISSION: ExplainTarget = {
  type: 'basic',
  hostname: 'mail.example.com',
  port: 587,
  useTls: true,
  senderEmail: 'noreply@example.com',
  replies,
};
const PLAIN: ExplainTarget = { ...SUBMISSION, port: 25, useTls: false };

/** A failure shaped as nodemailer reports it: the reply, and the command it answered. */
function failure(command: string, response: string, extra: Record<string, unknown> = {}) {
  return {
    code: command.startsWith('AUTH') ? 'EAUTH' : 'EENVELOPE',
    command,
    response,
    responseCode: Number(response.slice(0, 3)),
    message: `failed: ${response}`,
    ...extra,
  };
}

describe('explainSmtpFailure', () => {
  it.each([
    [
      'Microsoft 365 with SMTP AUTH disabled, for Bearer',
      { ...SUBMISSION, type: 'bearer' as const },
      failure(
        'AUTH XOAUTH2',
        '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.',
      ),
      'auth',
      'Set-CASMailbox -Identity <mailbox> -SmtpClientAuthenticationDisabled $false',
    ],
    [
      'Microsoft 365 with basic authentication disabled',
      SUBMISSION,
      failure(
        'AUTH LOGIN',
        '535 5.7.139 Authentication unsuccessful, basic authentication is disabled.',
      ),
      'auth',
      'no longer accepts Basic authentication (a password) for client submission',
    ],
    [
      'an app password required (a multi-line reply)',
      SUBMISSION,
      failure(
        'AUTH PLAIN',
        '534-5.7.9 Application-specific password required. Learn more at\n534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor',
      ),
      'auth',
      '(534 5.7.9 Application-specific password required. Learn more at https://support.google.com/mail/?p=InvalidSecondFactor): it may require an app password',
    ],
    [
      'encryption required for the mechanism',
      PLAIN,
      failure(
        'AUTH PLAIN',
        '538 5.7.11 Encryption required for requested authentication mechanism',
      ),
      'tls',
      'only over an encrypted connection',
    ],
    [
      'AUTH not enabled without TLS',
      PLAIN,
      failure('AUTH PLAIN', '503 5.5.1 Error: authentication not enabled'),
      'auth',
      NO_AUTH_BEFORE_TLS,
    ],
    [
      'AUTH not enabled over TLS',
      SUBMISSION,
      failure('AUTH PLAIN', '503 5.5.1 Error: authentication not enabled'),
      'auth',
      'the server offered no authentication on this connection: use its submission port',
    ],
    [
      'a temporary authentication failure',
      SUBMISSION,
      failure('AUTH PLAIN', '454 4.7.0 Temporary authentication failure'),
      'auth',
      'try again in a few minutes',
    ],
    [
      'Microsoft 365 Client not authenticated, TLS on',
      SUBMISSION,
      failure('MAIL FROM', '530 5.7.57 Client not authenticated to send mail'),
      'auth',
      'requires authentication (530 5.7.57 Client not authenticated to send mail) but did not offer it',
    ],
    [
      "Microsoft 365's SendAs check at the end of the data",
      SUBMISSION,
      failure(
        'DATA',
        '554 5.2.252 SendAsDenied; notifications@contoso.com not allowed to send as noreply@example.com',
      ),
      'sender',
      'Add-RecipientPermission -Identity noreply@example.com -Trustee <mailbox> -AccessRights SendAs',
    ],
    [
      'a sender domain that does not exist',
      SUBMISSION,
      failure(
        'MAIL FROM',
        '553 5.1.8 <noreply@example.com>: Sender address rejected: Domain not found',
      ),
      'sender',
      'does not accept noreply@example.com as a sender',
    ],
    [
      'a message taken for spam',
      SUBMISSION,
      failure('DATA', '550 5.7.1 Message rejected as spam by Content Filtering.'),
      'message',
      'taken for spam',
    ],
    [
      'a full mailbox',
      SUBMISSION,
      failure('RCPT TO', '452 4.2.2 Mailbox full', { recipient: 'a@example.com' }),
      'recipients',
      'the mailbox of a@example.com is full',
    ],
    [
      'a client refused at the greeting',
      PLAIN,
      failure('CONN', '554 5.7.1 Client host [203.0.113.9] blocked using zen.spamhaus.org', {
        code: 'EPROTOCOL',
      }),
      'connect',
      'refuses connections from this client',
    ],
    [
      'an unknown refusal of a recipient',
      SUBMISSION,
      failure('RCPT TO', '550 go away', { recipient: 'a@example.com' }),
      'recipients',
      'the server refused a@example.com (550 go away): check the address',
    ],
  ])('explains %s', (_name, target, error, stage, words) => {
    const explained = explainSmtpFailure(error, target);
    expect(explained.stage).toBe(stage);
    expect(explained.code).toBe(String(error.responseCode));
    expect(explained.message).toContain(words);
  });

  it.each([
    [
      'a hostname of its own',
      'mail.example.com',
      /mail\.example\.com could not be found in DNS: check the hostname/,
    ],
    [
      "Microsoft 365's",
      'smtp.office365.com',
      /could not look up smtp\.office365\.com.*network or DNS/,
    ],
    ["Google's", 'smtp.gmail.com', /could not look up smtp\.gmail\.com.*network or DNS/],
  ])('a DNS failure for %s host: %s', (_name, hostname, words) => {
    const error = { code: 'EDNS', message: `getaddrinfo ENOTFOUND ${hostname}` };
    // The transport marks a provider's own host (its descriptor's `knownHosts`).
    const providerHost = hostname !== 'mail.example.com';
    const explained = explainSmtpFailure(error, { ...SUBMISSION, hostname, providerHost });
    expect(explained.stage).toBe('dns');
    expect(explained.message).toMatch(words);
    // A well-known provider's hostname is right: the advice never says to change it.
    if (hostname !== 'mail.example.com')
      expect(explained.message).not.toMatch(/check the hostname/);
  });

  it('lists every refused recipient and why, for a partly rejected message', () => {
    const refused = explainRefusedRecipients(
      [
        failure('RCPT TO', '550 5.1.1 <x@example.com>: User unknown', {
          recipient: 'x@example.com',
        }),
        failure('RCPT TO', '450 4.2.0 <y@example.com>: Greylisted', { recipient: 'y@example.com' }),
      ],
      SUBMISSION,
    );
    expect(refused).toEqual([
      {
        recipient: 'x@example.com',
        code: '550',
        message: expect.stringContaining('the mailbox does not exist'),
      },
      {
        recipient: 'y@example.com',
        code: '450',
        message: expect.stringContaining('greylisting'),
      },
    ]);
  });

  it('says when all recipients were refused how many besides the first', () => {
    const error = failure('RCPT TO', '550 5.1.1 User unknown', {
      rejectedErrors: ['a', 'b', 'c'].map((name) =>
        failure('RCPT TO', '550 5.1.1 User unknown', { recipient: `${name}@example.com` }),
      ),
    });
    const explained = explainSmtpFailure(error, SUBMISSION);
    expect(explained).toMatchObject({ stage: 'recipients', code: '550' });
    expect(explained.message).toMatch(
      /^the server refused a@example\.com.*\(and 2 more recipients\)$/,
    );
    expect(explained.refused).toHaveLength(3);
  });
});

describe('parseSmtpReply', () => {
  it('reads the code, the enhanced status code and the text', () => {
    expect(parseSmtpReply('553 5.7.1 <a@b>: Sender address rejected')).toEqual({
      code: 553,
      enhanced: '5.7.1',
      text: '<a@b>: Sender address rejected',
    });
  });

  it('leaves the enhanced code out when the server sent none', () => {
    expect(parseSmtpReply('550 Mailbox unavailable')).toEqual({
      code: 550,
      enhanced: undefined,
      text: 'Mailbox unavailable',
    });
  });

  it('is undefined without a reply', () => {
    expect(parseSmtpReply(undefined)).toBeUndefined();
    expect(parseSmtpReply('connect ECONNREFUSED')).toBeUndefined();
  });
});
