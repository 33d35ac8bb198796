import { DeliveryFailedError } from '../errors/delivery-failed.error';
import { DeliveryUncertainError } from '../errors/delivery-uncertain.error';
import { RecipientLimitExceededError } from '../errors/recipient-limit-exceeded.error';
import { TokenRequestFailedError } from '../errors/token-request-failed.error';
import { UpgradeRequiredError } from '../errors/upgrade-required.error';
import { FailoverCircuits } from './failover-circuits';
import { failsOver } from './failover-rules';

const failed = (stage: DeliveryFailedError['stage'], responseCode?: number) =>
  new DeliveryFailedError('x', stage, { responseCode });

describe('failsOver', () => {
  it('fails over when main cannot be reached, TLS fails or sign-in is refused', () => {
    for (const stage of ['dns', 'connect', 'tls', 'auth', 'token'] as const) {
      expect(failsOver(failed(stage))).toBe(true);
    }
    expect(failsOver(failed('connect', 421))).toBe(true);
  });

  it('fails over on a 5xx greeting (554 no service): the server takes no message from us at all', () => {
    expect(failsOver(failed('connect', 554))).toBe(true);
  });

  it('fails over when a token cannot be had', () => {
    expect(failsOver(new TokenRequestFailedError('AADSTS7000215', 'invalid client secret'))).toBe(
      true,
    );
  });

  it('fails over on 4xx at MAIL FROM, not on 5xx there', () => {
    expect(failsOver(failed('sender', 451))).toBe(true);
    expect(failsOver(failed('sender', 421))).toBe(true);
    expect(failsOver(failed('sender', 550))).toBe(false);
  });

  it("never fails over on a recipient's or the content's rejection, or an uncertain outcome", () => {
    expect(failsOver(failed('recipients', 550))).toBe(false);
    expect(failsOver(failed('recipients', 421))).toBe(false);
    expect(failsOver(failed('message', 554))).toBe(false);
    expect(failsOver(new DeliveryUncertainError('mail.example.com:25', new Error('x')))).toBe(
      false,
    );
    expect(failsOver(new RecipientLimitExceededError(60, 50))).toBe(false);
    expect(failsOver(new Error('anything else'))).toBe(false);
  });

  it('never fails over on a missing upgrade: Bearer without it fails closed', () => {
    expect(failsOver(new UpgradeRequiredError('smtp-oauth', 'Upgrade', 'Bearer'))).toBe(false);
  });
});

describe('FailoverCircuits', () => {
  it('sends to the backup for a minute, then lets one message probe main at a time', () => {
    let now = 1_000;
    const circuits = new FailoverCircuits(() => now);
    expect(circuits.decide('acme')).toBe('main');
    expect(circuits.opened('acme', 'down')).toBe(true);
    expect(circuits.decide('acme')).toBe('backup');
    expect(circuits.decide('globex')).toBe('main');
    now += 59_999;
    expect(circuits.decide('acme')).toBe('backup');
    now += 1;
    expect(circuits.decide('acme')).toBe('probe');
    // While the probe is out, the others keep to the backup.
    expect(circuits.decide('acme')).toBe('backup');
    // The probe failed over again: open, not newly.
    expect(circuits.opened('acme', 'still down')).toBe(false);
    expect(circuits.stateOf('acme')).toMatchObject({
      since: 1_000,
      reason: 'still down',
      retryMainAt: now + 60_000,
    });
    now += 60_000;
    expect(circuits.decide('acme')).toBe('probe');
    expect(circuits.close('acme')).toBe(true);
    expect(circuits.decide('acme')).toBe('main');
    expect(circuits.close('acme')).toBe(false);
  });
});
