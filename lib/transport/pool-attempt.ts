import type { MailMessage, SentMessageInfo, Transporter } from 'nodemailer';
import type { Readable } from 'node:stream';
import { DeliveryUncertainError } from '../errors/delivery-uncertain.error';
import { isUncertainAfterData } from './retry-policy';

/**
 * One attempt, handed straight to the pool: the message is compiled once, by the caller's Mail.
 * A failure after the whole message was written, without a reply, throws DeliveryUncertainError.
 */
export async function sendOnPool(
  transporter: Transporter,
  mail: MailMessage,
  server: { hostname: string; port: number },
): Promise<SentMessageInfo> {
  const message = mail.message;
  const original = message.createReadStream;
  let written = false;
  // The pool reads a fresh stream per attempt; its end means every byte went to the socket.
  message.createReadStream = function (this: typeof message, ...args) {
    const stream: Readable = original.apply(this, args);
    stream.once('end', () => void (written = true));
    return stream;
  };
  try {
    return await new Promise<SentMessageInfo>((resolve, reject) => {
      transporter.transporter.send(mail, (error, info) => (error ? reject(error) : resolve(info!)));
    });
  } catch (error) {
    if (written && isUncertainAfterData(error)) {
      throw new DeliveryUncertainError(`${server.hostname}:${server.port}`, error);
    }
    throw error;
  } finally {
    message.createReadStream = original;
  }
}
