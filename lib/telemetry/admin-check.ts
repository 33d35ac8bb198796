import { failureAttributes } from './failure-attributes';
import { ATTR } from './telemetry-names';
import type { TelemetryScope } from './telemetry-scope';

/** What a verify or a test email answers: a result, failed or not, rather than a thrown error. */
export interface CheckResult {
  ok: boolean;
  stage?: string | null;
  code?: string | null;
  route?: string;
}

/**
 * A `verify` or a `test-email` in its span (`smtp.verify`, `smtp.test_email`): the tenant, the
 * connection, and for a failed check its code and stage, never its message (which may quote the
 * server, or the address of a test email).
 */
export async function traceCheck<R extends CheckResult>(
  scope: TelemetryScope,
  name: string,
  tenant: string,
  connection: 'main' | 'backup',
  work: () => Promise<R>,
): Promise<R> {
  const span = scope.startSpan(name, scope.kind.INTERNAL, { [ATTR.tenant]: tenant });
  let result: R;
  try {
    result = await scope.within(span, work);
  } catch (error) {
    scope.endThrown(span, error);
    throw error;
  }
  const channel = result.route === 'relay' ? 'relay' : connection;
  span?.setAttribute(ATTR.channel, channel);
  if (result.ok) span?.end();
  else
    scope.endFailed(
      span,
      failureAttributes({ code: result.code ?? 'CHECK_FAILED', stage: result.stage }),
    );
  return result;
}
