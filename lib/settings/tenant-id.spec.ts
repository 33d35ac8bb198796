import { InvalidTenantError } from '../errors/invalid-tenant.error';
import { assertTenantId } from './tenant-id';

describe('assertTenantId', () => {
  it.each(['default', 'a', '9', 'acme-corp', 'tenant_7.eu', 'CON', 'x'.repeat(64)])(
    'accepts %j',
    (id) => {
      expect(assertTenantId(id)).toBe(id);
    },
  );

  it.each<[unknown, string]>([
    ['', 'the tenant id is empty'],
    ['..', 'the tenant id must start with a letter or digit: ".."'],
    ['.hidden', 'the tenant id must start with a letter or digit: ".hidden"'],
    ['-rf', 'the tenant id must start with a letter or digit: "-rf"'],
    ['a/b', 'the tenant id may hold only letters, digits, ".", "_" and "-": "a/b"'],
    ['a\\b', 'the tenant id may hold only letters, digits, ".", "_" and "-": "a\\\\b"'],
    ['a\u0000b', 'the tenant id may hold only letters, digits, ".", "_" and "-": "a\\u0000b"'],
    ['été', 'the tenant id must start with a letter or digit: "été"'],
    [undefined, 'the tenant id must be a string, not undefined'],
    [null, 'the tenant id must be a string, not null'],
    [7, 'the tenant id must be a string, not number'],
  ])('refuses %j, naming the problem', (id, message) => {
    expect(() => assertTenantId(id)).toThrow(new InvalidTenantError(message));
  });

  it('names the source, and quotes at most 64 characters of a long id', () => {
    const id = `${'a'.repeat(64)}${'b'.repeat(1000)}`;
    const error = captured(() => assertTenantId(id, 'The tenant option'));
    expect(error).toBeInstanceOf(InvalidTenantError);
    expect(error).toMatchObject({ code: 'INVALID_TENANT' });
    expect(error.message).toBe(
      `The tenant option is 1064 characters long, more than 64: "${'a'.repeat(64)}"...`,
    );
  });
});

function captured(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('did not throw');
}
