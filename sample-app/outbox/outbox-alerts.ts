import { Logger } from '@nestjs/common';
import type { OutboxAlert } from '../../lib';

const logger = new Logger('Outbox');

/** An alert in an operator's words. Alerts carry no secret, and nothing is added here. */
export function describeAlert(alert: OutboxAlert): string {
  switch (alert.type) {
    case 'held':
      return (
        `Mail of tenant ${alert.tenant} is held: ${alert.reason}. ` +
        'It goes out as soon as the tenant’s settings are saved again.'
      );
    case 'failed':
      return (
        `A message of tenant ${alert.tenant} failed for good (id ${alert.id}, Message-ID ` +
        `${alert.messageId}): ${alert.code}: ${alert.message}`
      );
    case 'backlog':
      return (
        `The oldest waiting message of tenant ${alert.tenant} has waited ` +
        `${Math.round(alert.oldestWaitingAgeMs / 1000)} s`
      );
    case 'recovered':
      return `Mail of tenant ${alert.tenant} goes out again`;
    case 'failover':
      return `Mail of tenant ${alert.tenant} goes through its backup connection: ${alert.reason}`;
    case 'failback':
      return `Mail of tenant ${alert.tenant} goes through its main connection again`;
  }
}

/** The `onAlert` option of the sample app: one log line per alert (warn, or log for recovered and failback). */
export function logAlert(alert: OutboxAlert): void {
  const line = describeAlert(alert);
  if (alert.type === 'recovered' || alert.type === 'failback') logger.log(line);
  else logger.warn(line);
}
