import type { Transporter } from 'nodemailer';
import type { SendResult } from '../interfaces/send-result.interface';
import type { SmtpSettingsModuleOptions } from '../options/smtp-settings-options.interface';
import type { AttemptVerdict } from '../telemetry/outbox-attempt';
import { smtpTelemetry, type SmtpTelemetry } from '../telemetry/smtp-telemetry';
import type { OutboxEnqueueWriter } from './enqueue/outbox-enqueue-writer.interface';
import type { ResolvedOutboxOptions } from './outbox-config';
import { deliverJob, type OutboxJobData } from './outbox-message';
import { WAITING_STATUSES } from './send-log/send-log-entries';
import type { SendLog } from './send-log/send-log.interface';
import { classifyFailure } from './worker/delivery-outcome';

/**
 * What the outbox tells telemetry, in the outbox's terms: the enqueue's write in its span (its
 * trace context into the job), each delivery attempt in its span with the outcome the worker
 * gives a failure, and the backlog the gauges report. Without a registered SDK, each part is
 * what it wraps, as it is.
 */
export class OutboxTelemetry {
  private readonly telemetry: SmtpTelemetry;

  constructor(
    options: SmtpSettingsModuleOptions,
    private readonly config: ResolvedOutboxOptions,
  ) {
    this.telemetry = smtpTelemetry(options);
  }

  /** The writer, each write in an `smtp.enqueue` span whose context the job carries. */
  writer(writer: OutboxEnqueueWriter): OutboxEnqueueWriter {
    if (!this.telemetry.scope()) return writer;
    return {
      write: (entry, data, options) =>
        this.telemetry.enqueue(entry.tenant, (probe) => {
          probe?.prepared(data, entry.recipientCount);
          return writer.write(entry, data, options);
        }),
      provesNothingWritten: (error) => writer.provesNothingWritten(error),
    };
  }

  /** `deliverJob` through the live transport, each call an attempt in its `smtp.attempt` span. */
  deliveries(
    transporter: Transporter<SendResult>,
    signal: AbortSignal,
  ): (data: OutboxJobData) => Promise<SendResult> {
    return (data) =>
      this.telemetry.attempt(
        data,
        (attempt) => deliverJob(transporter, data, signal, attempt),
        (error) => this.verdictOf(error, data),
      );
  }

  /**
   * The send log, whose tenant summaries (read by the backlog check, and by the admin page) feed
   * the outbox gauges: a collection costs the store nothing. Its `close` detaches them.
   */
  sendLog(log: SendLog): SendLog {
    const { backend, prefix, queueName } = this.config;
    const gauges = this.telemetry.outboxGauges(backend, `${backend} ${prefix} ${queueName}`);
    if (!gauges) return log;
    const { summary, close } = log;
    // Patched on the instance, not wrapped: the log stays the object it is (its class, its state).
    log.summary = async (tenant, now) => {
      const read = await summary.call(log, tenant, now);
      const waiting = WAITING_STATUSES.reduce((sum, status) => sum + read.counts[status], 0);
      const oldest = read.oldestWaitingAt === null ? null : Date.parse(read.oldestWaitingAt);
      gauges.saw({ tenant, waiting, oldestWaitingAt: oldest });
      return read;
    };
    log.close = () => {
      gauges.close();
      return close.call(log);
    };
    return log;
  }

  /** As the worker decides (see outboxProcessor): a transient failure is a retry in its window. */
  private verdictOf(thrown: unknown, data: OutboxJobData): AttemptVerdict {
    const { kind, error } = classifyFailure(thrown);
    const windowClosed = Date.now() >= data.windowStart + this.config.retryWindowMs;
    const transient = windowClosed ? 'failed' : 'retry';
    const outcome = kind === 'transient' ? transient : kind === 'permanent' ? 'failed' : kind;
    const { responseCode } = (thrown ?? {}) as { responseCode?: unknown };
    return {
      outcome,
      code: error.code,
      stage: error.stage,
      replyCode: typeof responseCode === 'number' ? responseCode : undefined,
    };
  }
}
