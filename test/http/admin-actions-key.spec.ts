import { adminActionsKey } from '../../lib/http/admin-actions-throttler.guard';

describe('The key of an admin-action budget', () => {
  const name = 'smtp-settings-admin-actions';

  it('differs between tenants for the same admin id', () => {
    expect(adminActionsKey(name, 'acme', '1')).not.toBe(adminActionsKey(name, 'globex', '1'));
  });

  it('is the same for the same tenant and admin, whichever route asks', () => {
    expect(adminActionsKey(name, 'acme', '1')).toBe(adminActionsKey(name, 'acme', '1'));
  });

  it('keeps the parts apart however they are spelled: tenant "a:b" + "c" is not "a" + "b:c"', () => {
    const pairs = [
      ['a:b', 'c'],
      ['a', 'b:c'],
      ['a', ':b:c'],
      ['a:', 'b:c'],
      ['a","b', 'c'],
      ['a', 'b","c'],
      ['ab', 'c'],
      ['a', 'bc'],
    ] as const;
    const keys = pairs.map(([tenant, actor]) => adminActionsKey(name, tenant, actor));
    expect(new Set(keys).size).toBe(pairs.length);
    // The parts come back out as they went in.
    pairs.forEach(([tenant, actor], i) => {
      expect(JSON.parse(keys[i]!)).toEqual([name, tenant, actor]);
    });
  });
});
