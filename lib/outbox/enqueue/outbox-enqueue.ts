import type { JobsOptions } from 'bullmq';
import type { Address, SendMailOptions } from 'nodemailer';
import { RecipientLimitExceededError } from '../../errors/recipient-limit-exceeded.error';
import { MessageNotQueueableError } from '../../errors/message-not-queueable.error';
import { SenderRequiredError } from '../../errors/sender-required.error';
import type { SendLogEntry } from '../../interfaces/outbox.interface';
import type { SmtpSettingsState } from '../../interfaces/smtp-settings.types';
import type { SmtpRelayOptions } from '../../options/relay-options.interface';
import { SMTP_SETTINGS_OPTION_DEFAULTS as DEFAULTS } from '../../options/smtp-settings.defaults';
import { assertNoHeaderInjection } from '../../transport/header-guard';
import { formatSender } from '../../transport/sender';
import { serializeMessage, type OutboxJobData } from '../outbox-message';
import { envelopeRecipients } from './envelope-recipients';
import type { QueuePlace } from '../worker/tenant-ranks';

/** Transient failures are retried until the window closes, not until a count runs out. */
const UNLIMITED_ATTEMPTS = 100_000;

/**
 * The job's options: the outbox's backoff; bodies leave the store once sent; its place in the
 * queue (see TenantRanks): `priority` its rank among its tenant's messages, 0 for none, and `lifo`
 * for the head of the wait list (BullMQ ignores it for a delayed job, which joins the tail when due).
 */
export function jobOptions(
  delay: number,
  logTtlMs: number,
  place: QueuePlace = { priority: 0, lifo: false },
): JobsOptions {
  return {
    delay,
    ...(place.priority > 0 ? { priority: place.priority } : {}),
    ...(place.lifo ? { lifo: true } : {}),
    attempts: UNLIMITED_ATTEMPTS,
    backoff: { type: 'outbox' },
    removeOnComplete: true,
    // A failed one stays for a retry from the log while its entry is kept.
    removeOnFail: { age: Math.ceil(logTtlMs / 1000) },
  };
}

/** A message checked and ready for the queue: the job's data and its first send log entry. */
export interface PreparedMessage {
  data: OutboxJobData;
  entry: SendLogEntry;
}

/**
 * Everything `enqueue` refuses at once, queueing nothing: header injection, a message that cannot
 * be stored (see serializeMessage), no sender on the tenant's current route, the relay's `reject` policy over its limit.
 * Gives the message its Message-ID (`<uuid@sender-domain>`), which every attempt then carries.
 */
export function prepareMessage(
  message: SendMailOptions,
  tenant: string,
  state: SmtpSettingsState,
  relay: SmtpRelayOptions | undefined,
  maxBytes: number,
  id: string,
  now: Date = new Date(),
): PreparedMessage {
  assertNoHeaderInjection(message);
  const onRelay = state.source !== 'custom';
  const sender: unknown =
    message.from ??
    (state.source === 'custom' && state.settings ? formatSender(state.settings) : relay?.from);
  // With no route at all, the message is held until one is configured, which may bring a sender.
  if (!sender && (!onRelay || relay)) throw new SenderRequiredError();
  const recipients = envelopeRecipients(message);
  if (recipients.length === 0) {
    throw new MessageNotQueueableError(
      'message.to',
      'it has no recipient: to, cc or bcc is required',
    );
  }
  if (onRelay && relay && (relay.recipientPolicy ?? DEFAULTS.relay.recipientPolicy) === 'reject') {
    const limit = relay.maxRecipients ?? DEFAULTS.relay.maxRecipients;
    if (recipients.length > limit) throw new RecipientLimitExceededError(recipients.length, limit);
  }
  const messageId =
    typeof message.messageId === 'string' && message.messageId
      ? message.messageId
      : `<${id}@${domainOf(sender)}>`;
  const stored = serializeMessage({ ...message, messageId }, maxBytes);
  const at = now.toISOString();
  return {
    data: {
      id,
      tenant,
      messageId,
      createdAt: now.getTime(),
      windowStart: now.getTime(),
      message: stored,
    },
    entry: {
      id,
      tenant,
      createdAt: at,
      updatedAt: at,
      status: 'queued',
      recipientCount: recipients.length,
      recipients,
      subject: typeof message.subject === 'string' ? message.subject : null,
      attempts: 0,
      lastError: null,
      route: null,
      settingsVersion: null,
      messageId,
      response: null,
      heldReason: null,
    },
  };
}

function domainOf(sender: unknown): string {
  const first = Array.isArray(sender) ? (sender[0] as unknown) : sender;
  const text =
    typeof first === 'string'
      ? first
      : String((first as Partial<Address> | undefined)?.address ?? '');
  const address = /<([^>]*)>/.exec(text)?.[1] ?? text;
  const domain = address.split('@').pop()?.trim() ?? '';
  return /^[a-z0-9.-]+$/i.test(domain) && address.includes('@') ? domain : 'localhost';
}
