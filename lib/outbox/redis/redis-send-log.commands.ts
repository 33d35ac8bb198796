import type { Redis } from 'ioredis';
import { ADD, PRUNE, TRANSITION } from './redis-send-log.scripts';

type Arg = string | number;

/**
 * The send log's scripts as ioredis commands: sent as EVALSHA (the body travels once per
 * connection, not with every call).
 */
export interface SendLogCommands {
  /** The number of keys first: the scripts take batches. */
  smtpOutboxAdd(numberOfKeys: number, ...keysAndArgs: Arg[]): Promise<number[]>;
  smtpOutboxTransition(
    numberOfKeys: number,
    ...keysAndArgs: Arg[]
  ): Promise<Array<[number, string?, string?]>>;
  smtpOutboxPrune(...keysAndArgs: Arg[]): Promise<number>;
}

/** The scripts whose calls the send log gathers per tick itself (no auto-pipelining needed). */
export const BATCHED_SEND_LOG_COMMANDS = ['smtpOutboxTransition'] as const;

const SCRIPTS = {
  smtpOutboxAdd: { lua: ADD },
  smtpOutboxTransition: { lua: TRANSITION },
  smtpOutboxPrune: { numberOfKeys: 3, lua: PRUNE },
} as const;

/** Defines the scripts on the client once (ioredis keeps them per client). */
export function defineSendLogCommands(client: Redis): SendLogCommands {
  for (const [name, definition] of Object.entries(SCRIPTS)) {
    if (typeof (client as unknown as Record<string, unknown>)[name] !== 'function') {
      client.defineCommand(name, definition);
    }
  }
  return client as unknown as SendLogCommands;
}
