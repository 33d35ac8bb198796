import { ChannelMissingError } from '../../errors/channel-missing.error';
import { DeliveryFailedError } from '../../errors/delivery-failed.error';
import { DeliveryIncompleteError } from '../../errors/delivery-incomplete.error';
import { DeliveryUnavailableError } from '../../errors/delivery-unavailable.error';
import { DeliveryUncertainError } from '../../errors/delivery-uncertain.error';
import { RecipientLimitExceededError } from '../../errors/recipient-limit-exceeded.error';
import { SenderRequiredError } from '../../errors/sender-required.error';
import { TokenRequestFailedError } from '../../errors/token-request-failed.error';
import { GraphSendError } from '../../errors/graph-send.error';
import { classifyFailure, serverAnswered } from './delivery-outcome';

const smtp = (responseCode: number | undefined, code = 'EPROTOCOL', stage = 'message') =>
  new DeliveryFailedError('explained', stage as never, { code, responseCode });

/** A reply as nodemailer keeps it: the code in `responseCode`, the whole reply in `response`. */
const reply = (response: string, stage = 'message') =>
  new DeliveryFailedError('explained', stage as never, {
    code: 'EMESSAGE',
    responseCode: Number(response.slice(0, 3)),
    response,
  });

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe('classifyFailure', () => {
  it.each([
    ['a refused connection', smtp(undefined, 'ECONNREFUSED', 'connect'), 'transient'],
    ['421 try again later', smtp(421), 'transient'],
    ['452 mailbox full', smtp(452, 'EENVELOPE', 'recipients'), 'transient'],
    ['550 for every recipient', smtp(550, 'EENVELOPE', 'recipients'), 'permanent'],
    ['554 for the message', smtp(554), 'permanent'],
    ['535 authentication failed', smtp(535, 'EAUTH', 'auth'), 'held'],
    ['no TLS where the settings ask for it', smtp(undefined, 'ETLS', 'tls'), 'held'],
    ['a failure after the data', new DeliveryUncertainError('mx', new Error('reset')), 'uncertain'],
    ['no route', new ChannelMissingError(), 'held'],
    ['no sender', new SenderRequiredError(), 'permanent'],
    ['over the relay limit', new RecipientLimitExceededError(60, 50), 'permanent'],
    ['a partial split', new DeliveryIncompleteError(['a@x'], ['b@x'], new Error('x')), 'permanent'],
    ['the upgrade removed', new DeliveryUnavailableError('upgrade-removed', 'x'), 'held'],
    [
      'a secret that cannot be opened',
      new DeliveryUnavailableError('secret-unavailable', 'x'),
      'held',
    ],
    ['the app shutting down', new DeliveryUnavailableError('shut-down', 'x'), 'transient'],
    [
      'a wrong client secret',
      new TokenRequestFailedError('AADSTS7000215', 'x', 'clientSecret'),
      'held',
    ],
    ['Entra ID unreachable', new TokenRequestFailedError('TOKEN_REQUEST_FAILED', 'x'), 'transient'],
    [
      'throttled (a channel says so)',
      Object.assign(smtp(undefined, '429'), { transient: true }),
      'transient',
    ],
    [
      'a field to fix',
      Object.assign(smtp(undefined, 'ErrorSendAsDenied'), { field: 'senderEmail' }),
      'held',
    ],
    ['anything else', new Error('boom'), 'transient'],
  ])('%s is %s', (_, error, kind) => {
    expect(classifyFailure(error).kind).toBe(kind);
  });

  it.each([
    [
      "Gmail's daily sending limit, in the multi-line form",
      reply(
        '550-5.4.5 Daily user sending limit exceeded. For more information on Gmail\n' +
          '550-5.4.5 sending limits go to\n' +
          '550 5.4.5  https://support.google.com/a/answer/166852 - gsmtp',
      ),
      24 * HOUR,
    ],
    [
      "Gmail's daily sending limit, in one line",
      reply('550 5.4.5 Daily sending quota exceeded. - gsmtp'),
      24 * HOUR,
    ],
    [
      'Gmail asking to try again later',
      reply('421-4.7.0 Try again later, closing connection. (EHLO) - gsmtp', 'connect'),
      5 * MINUTE,
    ],
    [
      "Gmail's temporary rate limit",
      reply(
        '454 4.7.0 Temporary rate limit imposed on this account, please try again later - gsmtp',
        'auth',
      ),
      5 * MINUTE,
    ],
    [
      "Exchange Online's submission quota",
      reply(
        '554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message due to a permanent exception',
      ),
      24 * HOUR,
    ],
    [
      'SubmissionQuotaExceeded in any reply',
      reply('550 5.7.1 SubmissionQuotaExceeded for this mailbox'),
      24 * HOUR,
    ],
    [
      "Exchange Online's daily recipient limit (5.1.90)",
      reply(
        "550 5.1.90 Your message can't be sent because you've reached your daily limit for message recipients",
      ),
      24 * HOUR,
    ],
    [
      'Exchange Online refusing traffic from this IP',
      reply(
        '550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP. (AS7171)',
      ),
      HOUR,
    ],
    [
      "Exchange Online's IP throttling (4.7.500)",
      reply('451 4.7.500 Server busy. Please try again later from [203.0.113.9]. (AS77712344)'),
      15 * MINUTE,
    ],
    [
      "Exchange Online's IP throttling (4.7.699)",
      reply('450 4.7.699 Access denied, please try again later'),
      15 * MINUTE,
    ],
  ])('%s waits: deferred', (_, error, deferMs) => {
    expect(classifyFailure(error)).toMatchObject({ kind: 'deferred', deferMs });
  });

  it('reads the reply in the message when nodemailer kept no response', () => {
    const error = Object.assign(
      new Error('Message failed: 550 5.4.5 Daily user sending limit exceeded'),
      {
        code: 'EMESSAGE',
        responseCode: 550,
      },
    );
    expect(classifyFailure(error)).toMatchObject({ kind: 'deferred', deferMs: 24 * HOUR });
  });

  it('waits as long as Microsoft Graph asked on a 429 (Retry-After)', () => {
    const throttled = new GraphSendError('throttled', {
      code: 'ApplicationThrottled',
      status: 429,
      stage: 'message',
      transient: true,
      retryAfterMs: 37_000,
    });
    expect(classifyFailure(throttled)).toMatchObject({ kind: 'deferred', deferMs: 37_000 });
  });

  it('waits as long as any channel that says transient asked', () => {
    const error = Object.assign(new Error('busy'), { transient: true, retryAfterMs: 90_000 });
    expect(classifyFailure(error)).toMatchObject({ kind: 'deferred', deferMs: 90_000 });
  });

  it('gives up at once when a channel says the failure is not transient, with no reply code', () => {
    const error = Object.assign(new Error('refused'), {
      code: 'ErrorInvalidRecipients',
      transient: false,
    });
    expect(classifyFailure(error).kind).toBe('permanent');
  });

  it('still holds a Graph failure that names a field to fix, though it is not transient', () => {
    const denied = new GraphSendError('send as denied', {
      code: 'ErrorSendAsDenied',
      status: 403,
      stage: 'sender',
      field: 'senderEmail',
    });
    expect(classifyFailure(denied).kind).toBe('held');
  });

  it.each([
    [
      'a 5xx with no quota in it',
      reply('550 5.1.1 The email account that you tried to reach does not exist'),
      'permanent',
    ],
    [
      'a 421 that asks for no wait',
      reply('421 4.7.0 TLS required for RCPT domain, closing connection'),
      'transient',
    ],
    [
      'a 4.7.0 from Exchange',
      reply('451 4.7.0 Temporary server error. Please try again later. PRX4'),
      'transient',
    ],
  ])('%s keeps its kind', (_, error, kind) => {
    expect(classifyFailure(error).kind).toBe(kind);
  });

  it('describes the failure with its code, stage and message, and the time', () => {
    const at = new Date('2030-01-02T03:04:05.000Z');
    expect(classifyFailure(smtp(550, 'EENVELOPE', 'recipients'), at).error).toEqual({
      code: 'EENVELOPE',
      stage: 'recipients',
      message: 'explained',
      at: '2030-01-02T03:04:05.000Z',
    });
  });
});

describe('serverAnswered', () => {
  it('is true for an SMTP reply, false for 421, a socket error or no reply', () => {
    expect(serverAnswered(Object.assign(new Error('refused'), { responseCode: 550 }))).toBe(true);
    expect(serverAnswered(Object.assign(new Error('auth'), { responseCode: 535 }))).toBe(true);
    expect(serverAnswered(Object.assign(new Error('busy'), { responseCode: 421 }))).toBe(false);
    expect(serverAnswered(Object.assign(new Error('down'), { code: 'ECONNREFUSED' }))).toBe(false);
    expect(serverAnswered(new Error('deadline'))).toBe(false);
    expect(serverAnswered(undefined)).toBe(false);
  });
});
