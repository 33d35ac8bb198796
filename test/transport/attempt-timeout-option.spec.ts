import type { SmtpSettingsModuleOptions } from '../../lib';
import { resolveOutboxOptions } from '../../lib/outbox/outbox-config';
import { resolveAttemptTimeoutMs } from '../../lib/transport/attempt-deadline';

const outbox = { backend: 'redis', connection: 'redis://127.0.0.1:6379' } as const;

describe('attemptTimeoutMs: one deadline for every attempt, send and the outbox alike', () => {
  it('is 60 seconds when left out', () => {
    expect(resolveAttemptTimeoutMs({})).toBe(60_000);
    expect(resolveOutboxOptions(outbox).attemptTimeoutMs).toBe(60_000);
  });

  it('is read from the module options or from the outbox options', () => {
    expect(resolveAttemptTimeoutMs({ attemptTimeoutMs: 300 })).toBe(300);
    expect(resolveAttemptTimeoutMs({ outbox: { ...outbox, attemptTimeoutMs: 400 } })).toBe(400);
    expect(
      resolveAttemptTimeoutMs({
        attemptTimeoutMs: 500,
        outbox: { ...outbox, attemptTimeoutMs: 500 },
      }),
    ).toBe(500);
    expect(resolveOutboxOptions({ ...outbox, attemptTimeoutMs: 400 }).attemptTimeoutMs).toBe(400);
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])(
    'refuses %s, naming the option',
    (value) => {
      expect(() => resolveAttemptTimeoutMs({ attemptTimeoutMs: value })).toThrow(
        'SmtpSettingsModule: attemptTimeoutMs must be a positive number',
      );
      expect(() =>
        resolveAttemptTimeoutMs({ outbox: { ...outbox, attemptTimeoutMs: value } }),
      ).toThrow('SmtpSettingsModule: outbox.attemptTimeoutMs must be a positive number');
      expect(() => resolveOutboxOptions({ ...outbox, attemptTimeoutMs: value })).toThrow(
        'SmtpSettingsModule: outbox.attemptTimeoutMs must be a positive number',
      );
    },
  );

  it('refuses two different values, naming both: one transport makes every attempt', () => {
    const options: SmtpSettingsModuleOptions = {
      attemptTimeoutMs: 30_000,
      outbox: { ...outbox, attemptTimeoutMs: 90_000 },
    };
    expect(() => resolveAttemptTimeoutMs(options)).toThrow(
      /attemptTimeoutMs \(30000\) and outbox\.attemptTimeoutMs \(90000\) differ/,
    );
  });
});
