import { InvalidCursorError } from '../errors/invalid-cursor.error';
import { RequestValidationError } from '../errors/request-validation.error';
import type { FieldProblem } from '../interfaces/field-problem.interface';
import {
  OUTBOX_STATUSES,
  type OutboxStatus,
  type SendLogEntry,
  type SendLogPage,
  type SendLogQuery,
} from '../interfaces/outbox.interface';
import { CURSOR_PROBLEM, parseCursor } from '../outbox/send-log/send-log-entries';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;
const MAX_CURSOR_LENGTH = 512;

/**
 * `GET <path>/messages?status=&limit=&cursor=`, checked: every bad parameter at once, each named
 * (400). An empty parameter is as if it were absent.
 */
export function parseSendLogQuery(query: unknown): SendLogQuery & { limit: number } {
  const params = (typeof query === 'object' && query !== null ? query : {}) as Record<
    string,
    unknown
  >;
  const problems: FieldProblem[] = [];
  const result: SendLogQuery & { limit: number } = { limit: DEFAULT_PAGE_SIZE };

  const status = params.status;
  if (status !== undefined && status !== '') {
    if (typeof status === 'string' && (OUTBOX_STATUSES as readonly string[]).includes(status)) {
      result.status = status as OutboxStatus;
    } else {
      problems.push({
        field: 'status',
        message: `status must be one of ${OUTBOX_STATUSES.join(', ')}`,
      });
    }
  }

  const limit = params.limit;
  if (limit !== undefined && limit !== '') {
    const n = typeof limit === 'string' && /^\d{1,4}$/.test(limit) ? Number(limit) : NaN;
    if (n >= 1 && n <= MAX_PAGE_SIZE) result.limit = n;
    else {
      problems.push({
        field: 'limit',
        message: `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}`,
      });
    }
  }

  const cursor = params.cursor;
  if (cursor !== undefined && cursor !== '') {
    if (typeof cursor === 'string' && cursor.length <= MAX_CURSOR_LENGTH && isCursor(cursor)) {
      result.cursor = cursor;
    } else problems.push(CURSOR_PROBLEM);
  }

  // A cursor alone has its own code, so that a client knows to start again from the first page.
  if (problems.length === 1 && problems[0] === CURSOR_PROBLEM) throw new InvalidCursorError();
  if (problems.length > 0) throw new RequestValidationError(problems);
  return result;
}

/**
 * An entry as the routes answer it: the contract's fields and nothing else, so that nothing that
 * might ever be added to a stored entry (a body, a header) can reach a response.
 */
export function entryView(entry: SendLogEntry): SendLogEntry {
  const lastError = entry.lastError;
  return {
    id: entry.id,
    tenant: entry.tenant,
    createdAt: entry.createdAt,
    updatedAt: entry.updatedAt,
    status: entry.status,
    recipientCount: entry.recipientCount,
    recipients: [...entry.recipients],
    subject: entry.subject,
    attempts: entry.attempts,
    lastError: lastError && {
      code: lastError.code,
      ...(lastError.stage === undefined ? {} : { stage: lastError.stage }),
      message: lastError.message,
      at: lastError.at,
    },
    route: entry.route,
    settingsVersion: entry.settingsVersion,
    connection: entry.connection ?? null,
    messageId: entry.messageId,
    response: entry.response,
    heldReason: entry.heldReason,
  };
}

export function pageView(page: SendLogPage): SendLogPage {
  return { items: page.items.map(entryView), nextCursor: page.nextCursor };
}

function isCursor(cursor: string): boolean {
  try {
    parseCursor(cursor);
    return true;
  } catch (error) {
    if (error instanceof InvalidCursorError) return false;
    throw error;
  }
}
