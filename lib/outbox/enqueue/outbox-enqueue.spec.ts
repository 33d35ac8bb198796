import type { SendMailOptions } from 'nodemailer';
import type { SmtpSettingsState } from '../../interfaces/smtp-settings.types';
import { prepareMessage } from './outbox-enqueue';

const relayState: SmtpSettingsState = {
  source: 'relay',
  version: 0,
  updatedAt: null,
  updatedBy: null,
  settings: null,
  warnings: [],
};

function recipientsOf(message: SendMailOptions): string[] {
  const relay = { transport: 'smtp://relay.example', from: 'app@example.com' };
  return prepareMessage(message, 'acme', relayState, relay, 1_000_000, 'id-1').entry.recipients;
}

describe('prepareMessage: the recipients it logs and counts', () => {
  it('reads to, cc and bcc in every form nodemailer takes, once each whatever the case', () => {
    expect(
      recipientsOf({
        to: '"Ann, Sales" <ann@example.com>, bob@example.com',
        cc: [{ name: 'Cy', address: 'cy@example.com' }, 'BOB@example.com'],
        bcc: 'Team: dee@example.com, eve@example.com;',
        text: 'hi',
      }),
    ).toEqual([
      'ann@example.com',
      'bob@example.com',
      'cy@example.com',
      'dee@example.com',
      'eve@example.com',
    ]);
  });

  it('takes the explicit envelope over the headers', () => {
    expect(
      recipientsOf({
        to: 'shown@example.com',
        envelope: { from: 'bounce@example.com', to: ['real@example.com', 'other@example.com'] },
        text: 'hi',
      }),
    ).toEqual(['real@example.com', 'other@example.com']);
  });
});
