import type { MailMessage, SentMessageInfo, Transporter } from 'nodemailer';
import type { Readable } from 'node:stream';
import { DeliveryFailedError } from '../errors/delivery-failed.error';
import { DeliveryUncertainError } from '../errors/delivery-uncertain.error';
import { attemptInterrupted, attemptTimedOut } from './attempt-deadline';
import { isUncertainAfterData } from './retry-policy';

/**
 * One attempt, handed straight to the pool: the message is compiled once, by the caller's Mail.
 * A failure after the whole message was written, without a reply, throws DeliveryUncertainError.
 *
 * With `timeoutMs`, the attempt has a deadline from the moment it is handed over: waiting for a
 * free connection, connecting, every reply and the message itself count against it, however many
 * bytes the server keeps sending. Past it the pool closes the connection (the message's signal
 * aborts; the pool opens a new one for the next message) and the attempt fails: transient before
 * the whole message was written, uncertain after it.
 */
export async function sendOnPool(
  transporter: Transporter,
  mail: MailMessage,
  server: { hostname: string; port: number },
  timeoutMs?: number,
): Promise<SentMessageInfo> {
  const message = mail.message;
  const original = message.createReadStream;
  const progress = { dataStarted: false, written: false };
  // The pool reads a fresh stream per attempt, once DATA was accepted; its end means every byte
  // went to the socket.
  message.createReadStream = function (this: typeof message, ...args) {
    progress.dataStarted = true;
    const stream: Readable = original.apply(this, args);
    stream.once('end', () => void (progress.written = true));
    return stream;
  };
  const data = mail.data;
  const callerSignal = data.signal;
  const deadline = timeoutMs === undefined ? undefined : new AttemptDeadline();
  let timer: NodeJS.Timeout | undefined;
  let unlink: (() => void) | undefined;
  if (deadline) {
    // nodemailer's pool fails a message whose signal aborts, and closes the connection sending it.
    // The caller's signal aborts the deadline's (see linkTo).
    if (callerSignal?.aborted) deadline.abort(callerSignal.reason);
    else if (callerSignal) unlink = linkTo(callerSignal, deadline);
    data.signal = deadline.signal as unknown as AbortSignal;
    timer = setTimeout(() => deadline.abort(), timeoutMs);
  }
  try {
    return await new Promise<SentMessageInfo>((resolve, reject) => {
      transporter.transporter.send(mail, (error, info) => (error ? reject(error) : resolve(info!)));
    });
  } catch (error) {
    // A transport that judged its own interruption (Graph reads the whole stream before its
    // request is sent, so the stream's progress says nothing there) is taken at its word: not
    // marked as past the end of DATA either, or a Graph host that cannot be reached would never
    // fail over.
    if (error instanceof DeliveryFailedError || error instanceof DeliveryUncertainError) {
      throw error;
    }
    if (progress.written && typeof error === 'object' && error !== null) {
      REACHED_DATA.add(error);
    }
    if (callerSignal?.aborted) throw attemptInterrupted(server, progress);
    if (deadline?.signal.aborted) throw attemptTimedOut(server, timeoutMs!, progress);
    if (progress.written && isUncertainAfterData(error)) {
      throw new DeliveryUncertainError(`${server.hostname}:${server.port}`, error);
    }
    throw error;
  } finally {
    clearTimeout(timer);
    unlink?.();
    // Put back, never deleted: a deleted property turns `mail.data` into a slow dictionary object
    // for every later read of it (the send benchmark lost 4 % of its throughput to that).
    if (deadline) data.signal = callerSignal;
    message.createReadStream = original;
  }
}

/**
 * An attempt's deadline and the signal nodemailer's SMTP transports watch, in one object: they
 * take any object with `aborted`, `reason` and the two listener methods (nodemailer's
 * `isAbortSignal`, for signals of another realm or a polyfill), and add one 'abort' listener per
 * message. An AbortController and its EventTarget per attempt cost the send benchmark about 3 % of
 * its throughput. Only for nodemailer's transports: Graph's takes a real AbortSignal (it has no
 * `attemptTimeoutMs` here, see SmtpChannelSpec).
 */
class AttemptDeadline {
  aborted = false;
  reason: unknown = undefined;
  private listeners: Array<() => void> = [];

  get signal(): this {
    return this;
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    this.listeners.push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const at = this.listeners.indexOf(listener);
    if (at !== -1) this.listeners.splice(at, 1);
  }

  abort(reason: unknown = new DOMException('This operation was aborted', 'AbortError')): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    for (const listener of this.listeners.splice(0)) listener();
  }
}

/** The deadlines of the attempts under way with each caller's signal. */
const LINKED = new WeakMap<AbortSignal, Set<AttemptDeadline>>();

/**
 * Links `deadline` to the caller's `signal` (not aborted yet) until the returned function is
 * called: one listener per caller's signal aborts every linked deadline with its reason. Cheaper
 * than AbortSignal.any per attempt (about 20 µs, and a WeakRef on the caller's long-lived signal
 * until a collection) or a listener per attempt (removing one searches all of them).
 */
function linkTo(signal: AbortSignal, deadline: AttemptDeadline): () => void {
  let linked = LINKED.get(signal);
  if (!linked) {
    const deadlines = new Set<AttemptDeadline>();
    signal.addEventListener(
      'abort',
      () => {
        for (const each of deadlines) each.abort(signal.reason);
      },
      { once: true },
    );
    LINKED.set(signal, (linked = deadlines));
  }
  linked.add(deadline);
  return () => void linked.delete(deadline);
}

const REACHED_DATA = new WeakSet<object>();

/**
 * Whether a failed attempt had written the whole message, the end of DATA included: such a
 * message is never sent again through another connection, since the server may have taken it.
 * Looks at the error and at its cause, as the retry loop wraps nodemailer's errors.
 */
export function reachedData(error: unknown): boolean {
  const cause = (error as { cause?: unknown } | null)?.cause;
  return [error, cause].some((e) => typeof e === 'object' && e !== null && REACHED_DATA.has(e));
}
