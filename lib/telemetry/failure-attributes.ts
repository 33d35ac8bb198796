import type { Attributes } from '@opentelemetry/api';
import { ATTR } from './telemetry-names';

/** A code as errors carry them (`EAUTH`, `DELIVERY_UNCERTAIN`, `AADSTS7000215`), nothing longer. */
const CODE = /^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/;

/**
 * What a failure may tell a span or a metric: its code (`error.type`), the stage it stopped at and
 * the server's reply code. Never its message: an SMTP reply quotes the recipient it refuses
 * (`550 5.1.1 <bob@example.com>: unknown`), and a token endpoint's may quote the app.
 */
export function failureAttributes(error: unknown): Attributes {
  const { code, stage, responseCode, name } = (error ?? {}) as {
    code?: unknown;
    stage?: unknown;
    responseCode?: unknown;
    name?: unknown;
  };
  const type = typeof code === 'string' && CODE.test(code) ? code : nameOf(name);
  return {
    [ATTR.errorType]: type,
    ...(typeof stage === 'string' && CODE.test(stage) ? { [ATTR.stage]: stage } : {}),
    ...(typeof responseCode === 'number' ? { [ATTR.replyCode]: responseCode } : {}),
  };
}

/** OpenTelemetry's fallback for an error without a known type is `_OTHER`. */
function nameOf(name: unknown): string {
  return typeof name === 'string' && CODE.test(name) ? name : '_OTHER';
}
