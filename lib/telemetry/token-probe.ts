import { failureAttributes } from './failure-attributes';
import { ATTR, SPAN } from './telemetry-names';
import type { TelemetryScope } from './telemetry-scope';

/** What a token cache reports: an `oauth.token` span and a count per token asked for. Never a token. */
export interface TokenProbe {
  /** A token served from the cache. */
  cached(): void;
  /** A request to the token endpoint, in its span. */
  request<T>(work: () => Promise<T>): Promise<T>;
}

/** The probe of one provider's tokens (`microsoft`, `microsoft-graph`, `google`). */
export function tokenProbe(scope: () => TelemetryScope | null, provider: string): TokenProbe {
  const count = (on: TelemetryScope, outcome: 'issued' | 'cached' | 'failed') =>
    on.instruments?.tokenRequests.add(1, { [ATTR.provider]: provider, [ATTR.outcome]: outcome });
  const start = (on: TelemetryScope, cached: boolean) =>
    on.startSpan(SPAN.token, on.kind.CLIENT, {
      [ATTR.provider]: provider,
      [ATTR.tokenCached]: cached,
    });
  return {
    cached() {
      const on = scope();
      if (!on) return;
      start(on, true)?.end();
      count(on, 'cached');
    },
    async request(work) {
      const on = scope();
      if (!on) return work();
      const span = start(on, false);
      try {
        const token = await on.within(span, work);
        span?.end();
        count(on, 'issued');
        return token;
      } catch (error) {
        on.endFailed(span, failureAttributes(error));
        count(on, 'failed');
        throw error;
      }
    },
  };
}
