import type { SendMailOptions } from 'nodemailer';
import MimeNode from 'nodemailer/lib/mime-node';
import { uniqueRecipients } from '../../transport/recipient-policy';
import { envelopeRecipients } from './envelope-recipients';

/** nodemailer's own reading of the envelope, as the relay counts it. */
function nodemailerReading(message: SendMailOptions): string[] {
  const node = new MimeNode();
  if (message.to) node.setHeader('to', message.to);
  if (message.cc) node.setHeader('cc', message.cc);
  if (message.bcc) node.setHeader('bcc', message.bcc);
  if (message.envelope) node.setEnvelope(message.envelope);
  return uniqueRecipients(node.getEnvelope().to);
}

const ADDRESSES = [
  'someone@example.com',
  'Someone.Else+tag@Example.COM',
  'a_b-c@sub.EXAMPLE.co.uk',
  'x@a-b.example.org',
  'user@xn--jgeva-dua.ee',
  'user@jõgeva.ee',
  'üser@example.com',
  'user@1.2.3.04',
  'user@example.0x10',
  'user@example.123',
  'user@-bad.example.com',
  'user@bad-.example.com',
  'a..b@example.com',
  '.a@example.com',
  'a.@example.com',
  'a%b@example.com',
  'a/b@example.com',
  "o'brien@example.com",
  '"quoted local"@example.com',
  'Ann <ann@example.com>',
  'ann@example.com, bob@example.com',
  'ann@example.com; bob@example.com',
  ' ann@example.com ',
  'a@[127.0.0.1]',
  'a@b@example.com',
  'bare',
  '',
  'ANN@EXAMPLE.COM',
  'ann@example.com',
  'user@' + 'a'.repeat(64) + '.com',
  'user@' + 'a'.repeat(63) + '.com',
];

describe('envelopeRecipients: the same recipients as nodemailer reads', () => {
  it.each(ADDRESSES.map((address) => [address]))('reads %j as nodemailer does', (address) => {
    for (const message of [{ to: address }, { cc: [address] }, { bcc: [address, address] }]) {
      expect(envelopeRecipients(message)).toEqual(nodemailerReading(message));
    }
  });

  it('reads to, cc and bcc together, each recipient once whatever its case, in their order', () => {
    const message = {
      to: ['b@example.com', 'A@Example.com'],
      cc: 'a@EXAMPLE.com',
      bcc: ['c@example.com', 'B@example.com'],
    };
    expect(envelopeRecipients(message)).toEqual(nodemailerReading(message));
    expect(envelopeRecipients(message)).toEqual([
      'b@example.com',
      'A@example.com',
      'c@example.com',
    ]);
  });

  it('takes nodemailer reading for address objects, nested lists and an explicit envelope', () => {
    const messages: SendMailOptions[] = [
      { to: [{ name: 'Ann', address: 'ann@Example.com' }, 'bob@example.com'] },
      { to: ['ann@example.com', ['bob@example.com']] as never },
      { to: 'ann@example.com', envelope: { from: 'x@example.com', to: 'env@example.com' } },
      { to: [], cc: '', bcc: ['ann@example.com'] },
    ];
    for (const message of messages) {
      expect(envelopeRecipients(message)).toEqual(nodemailerReading(message));
    }
  });
});
