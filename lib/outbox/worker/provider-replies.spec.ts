import { replyDeferral } from './provider-replies';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe('replyDeferral', () => {
  it('reads the enhanced code after a space or a dash, on any line', () => {
    expect(replyDeferral('550 5.4.5 Daily user sending limit exceeded')).toBe(24 * HOUR);
    expect(replyDeferral('550-5.4.5 Daily user sending limit exceeded')).toBe(24 * HOUR);
    expect(
      replyDeferral('explained\nMessage failed: 550-5.4.5 Daily user sending limit exceeded'),
    ).toBe(24 * HOUR);
  });

  it('waits less when the reply states a shorter reset', () => {
    expect(replyDeferral('550 5.4.5 Daily sending quota exceeded, try again in 3 hours')).toBe(
      3 * HOUR,
    );
  });

  it('never waits longer than the table when the reply states a longer wait', () => {
    expect(replyDeferral('451 4.7.500 Server busy. Please retry in 2 hours')).toBe(15 * MINUTE);
  });

  it('wants the basic code that the provider sends with a shared enhanced code', () => {
    // 4.7.0 is Gmail's rate limit only with 421 or 454; Exchange's 451 4.7.0 is a passing error.
    expect(replyDeferral('451 4.7.0 Temporary server error. Please try again later.')).toBe(
      undefined,
    );
    expect(replyDeferral('454 4.7.0 Too many login attempts, please try again later.')).toBe(
      5 * MINUTE,
    );
  });

  it('takes no IP address or version for a code', () => {
    expect(replyDeferral('554 rejected from 203.0.113.9 5.4.5')).toBe(undefined);
    expect(replyDeferral('451 4.7.40 Server busy')).toBe(undefined);
  });

  it('leaves any other reply to the reply code', () => {
    expect(
      replyDeferral('550 5.1.1 The email account that you tried to reach does not exist'),
    ).toBe(undefined);
    expect(replyDeferral('')).toBe(undefined);
  });
});
