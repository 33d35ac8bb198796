import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import type { Job, JobType, Queue } from 'bullmq';

type Statuses = Parameters<BullMQAdapter['getJobs']>[0];
type Counts = Awaited<ReturnType<BullMQAdapter['getJobCounts']>>;
type Metrics = Awaited<ReturnType<BullMQAdapter['getMetrics']>>;
type Schedulers = Awaited<ReturnType<BullMQAdapter['getJobSchedulers']>>;

/** The fields of an outbox job's data that the view reads: the library's job carries these. */
interface OutboxJobFields {
  id?: string;
  tenant?: string;
  /** Epoch milliseconds of the enqueue. */
  createdAt?: number;
}

/** Jobs read from the store at a time while looking for the tenant's own. */
const SCAN_BATCH = 500;

/**
 * The outbox queue as one tenant's admin sees it: read-only, and only that tenant's messages. The
 * queue holds every tenant's mail, and Bull Board asks its adapter for jobs, counts and pages
 * without saying who asks, so each tenant with an admin gets a view of its own (`read-only:<tenant>:
 * smtp-outbox`), shown only to that admin. Every read the board makes of jobs goes through here:
 * another tenant's job is never returned, counted or opened (its id answers as an unknown one), and
 * what the queue says as a whole about every tenant's mail (its metrics, any scheduler) is left out.
 * A job of the tenant's own shows its id, age, state, attempts, failed reason and stack (the
 * library's errors name no secret), with its data cut to its id and age and its options to its
 * attempts and delay.
 *
 * The store has no index by tenant: each count and each page reads every job of the states shown,
 * to keep the tenant's. Fine for a sample app's queue; a large one wants an index of its own.
 */
export class TenantOutboxView extends BullMQAdapter {
  constructor(
    private readonly outbox: Queue,
    readonly tenant: string,
  ) {
    super(outbox, {
      readOnlyMode: true,
      prefix: `read-only:${tenant}:`,
      displayName: 'Outbox (read-only)',
      description: `The messages of tenant ${tenant}; only the default tenant’s admin acts on them`,
    });
    // The message is the tenant's, but the board need not show it: its id and age are enough.
    this.setFormatter('data', (data: OutboxJobFields | undefined) => ({
      id: data?.id,
      createdAt: data?.createdAt,
    }));
    this.setFormatter('returnValue', () => null);
  }

  override async getJob(id: string): Promise<Job | undefined> {
    const job = await this.outbox.getJob(id);
    return job && this.owns(job) ? this.cut(job) : undefined;
  }

  /** Per status, the tenant's jobs from `start` to `end`, as BullMQ pages each status it is given. */
  override async getJobs(statuses: Statuses, start = 0, end = -1): Promise<Job[]> {
    const pages = await Promise.all(
      statuses.map(async (status) => {
        const own = await this.scan(status);
        return own.slice(start, end < 0 ? undefined : end + 1);
      }),
    );
    return pages.flat().map((job) => this.cut(job));
  }

  override async getJobCounts(): Promise<Counts> {
    const statuses = this.getJobStatuses();
    const counts = await Promise.all(statuses.map(async (s) => (await this.scan(s)).length));
    return Object.fromEntries(statuses.map((s, i) => [s, counts[i]!])) as Counts;
  }

  override async getJobLogs(id: string): Promise<string[]> {
    return (await this.getJob(id)) ? super.getJobLogs(id) : [];
  }

  /** Completed and failed per minute of every tenant's mail: not the tenant's to see. */
  override getMetrics(): Promise<Metrics> {
    return Promise.reject(new Error('no queue-wide metrics in a tenant’s view'));
  }

  override async getJobSchedulers(): Promise<Schedulers> {
    return [];
  }

  override async getJobSchedulersCount(): Promise<number> {
    return 0;
  }

  private owns(job: Job): boolean {
    return (job.data as OutboxJobFields | undefined)?.tenant === this.tenant;
  }

  /** The tenant's jobs in one status, newest first as the board lists them. */
  private async scan(status: Statuses[number]): Promise<Job[]> {
    const own: Job[] = [];
    for (let from = 0; ; from += SCAN_BATCH) {
      const batch = await this.outbox.getJobs([status as JobType], from, from + SCAN_BATCH - 1);
      own.push(...batch.filter((job) => job && this.owns(job)));
      if (batch.length < SCAN_BATCH) return own;
    }
  }

  /**
   * The job as the board reads it (`toJSON`), its options cut to attempts and delay: a priority
   * and a `lifo` say whether other tenants were sending at the time.
   */
  private cut(job: Job): Job {
    const view = Object.create(job) as Job;
    view.toJSON = () => {
      const { opts, priority: _priority, ...rest } = job.toJSON();
      void _priority;
      return { ...rest, opts: { attempts: opts.attempts, delay: opts.delay } } as ReturnType<
        Job['toJSON']
      >;
    };
    return view;
  }
}
