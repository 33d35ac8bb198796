import type { Counter, Histogram, Meter, ObservableGauge } from '@opentelemetry/api';
import { METRIC } from './telemetry-names';

/** The module's instruments on one meter. */
export interface Instruments {
  messages: Counter;
  attemptDuration: Histogram;
  deliveryLatency: Histogram;
  tokenRequests: Counter;
  settingsChanges: Counter;
  waiting: ObservableGauge;
  oldestWaitingAge: ObservableGauge;
}

// One set per meter: every module instance in the process (replicas in a test, say) shares it,
// since a meter refuses a second instrument of the same name.
const byMeter = new WeakMap<Meter, Instruments>();

export function instrumentsOf(meter: Meter): Instruments {
  let instruments = byMeter.get(meter);
  if (!instruments) {
    instruments = create(meter);
    byMeter.set(meter, instruments);
  }
  return instruments;
}

function create(meter: Meter): Instruments {
  return {
    messages: meter.createCounter(METRIC.messages, {
      description: 'Messages by outcome (sent, failed, uncertain, held, deferred) and channel',
    }),
    attemptDuration: meter.createHistogram(METRIC.attemptDuration, {
      description: 'How long a delivery attempt took: an outbox attempt, or a direct send',
      unit: 's',
    }),
    deliveryLatency: meter.createHistogram(METRIC.deliveryLatency, {
      description: 'From enqueue to sent, for outbox messages',
      unit: 's',
    }),
    tokenRequests: meter.createCounter(METRIC.tokenRequests, {
      description: 'Access tokens asked for, by provider and outcome (issued, cached, failed)',
    }),
    settingsChanges: meter.createCounter(METRIC.settingsChanges, {
      description: 'Settings saved or reset, by connection (main, backup)',
    }),
    waiting: meter.createObservableGauge(METRIC.waiting, {
      description:
        'Outbox messages waiting (queued, sending, held), as the backlog check last saw them',
    }),
    oldestWaitingAge: meter.createObservableGauge(METRIC.oldestWaitingAge, {
      description: 'Age of the oldest waiting outbox message',
      unit: 's',
    }),
  };
}
