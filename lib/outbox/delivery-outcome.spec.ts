import { ChannelMissingError } from '../errors/channel-missing.error';
import { DeliveryFailedError } from '../errors/delivery-failed.error';
import { DeliveryIncompleteError } from '../errors/delivery-incomplete.error';
import { DeliveryUnavailableError } from '../errors/delivery-unavailable.error';
import { DeliveryUncertainError } from '../errors/delivery-uncertain.error';
import { RecipientLimitExceededError } from '../errors/recipient-limit-exceeded.error';
import { SenderRequiredError } from '../errors/sender-required.error';
import { TokenRequestFailedError } from '../errors/token-request-failed.error';
import { classifyFailure } from './delivery-outcome';

const smtp = (responseCode: number | undefined, code = 'EPROTOCOL', stage = 'message') =>
  new DeliveryFailedError('explained', stage as never, { code, responseCode });

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
