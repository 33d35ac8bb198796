/**
 * A setting the newcomer can fix (a variable, a busy port): main.ts prints its message once, without
 * a stack trace, and bootstrap keeps Nest from logging it first.
 */
export class SampleConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SampleConfigError';
  }
}
