import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import {
  declaredPackages,
  isBuiltin,
  isRelative,
  listFiles,
  moduleReferences,
  optionalPeers,
  packageOf,
  readManifest,
  ROOT,
} from './module-specifiers';

/**
 * The declarations a consumer's compiler reads: dist/index.d.ts and every .d.ts it reaches through
 * relative imports. Built here from lib/ with tsconfig.build.json, into a folder of its own.
 */
describe('Public types', () => {
  const manifest = readManifest();
  let out: string;
  let emitted: string[];
  let reachable: Map<string, ReturnType<typeof moduleReferences>>;

  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'nest-smtp-settings-dts-'));
    execFileSync(
      process.execPath,
      [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', out],
      { cwd: ROOT, stdio: 'pipe' },
    );
    emitted = listFiles(out, () => true).map((file) => relative(out, file));
    reachable = new Map();
    const pending = [join(out, 'index.d.ts')];
    while (pending.length > 0) {
      const file = pending.pop()!;
      if (reachable.has(file)) continue;
      const refs = moduleReferences(file);
      reachable.set(file, refs);
      for (const ref of refs.filter((r) => isRelative(r.specifier))) {
        pending.push(declarationFile(resolve(dirname(file), ref.specifier)));
      }
    }
  }, 120_000);

  afterAll(() => rmSync(out, { recursive: true, force: true }));

  function external(): Array<{ file: string; specifier: string; pkg: string }> {
    return [...reachable].flatMap(([file, refs]) =>
      refs
        .filter((ref) => !isRelative(ref.specifier) && !isBuiltin(ref.specifier))
        .map((ref) => ({
          file: relative(out, file),
          specifier: ref.specifier,
          pkg: packageOf(ref.specifier),
        })),
    );
  }

  it('follows the barrel to the declarations of every part', () => {
    const files = [...reachable.keys()].map((file) => relative(out, file));
    expect(files).toEqual(
      expect.arrayContaining([
        'index.d.ts',
        'smtp-settings.module.d.ts',
        'interfaces/smtp-settings-store.interface.d.ts',
        'mailer/mailer.service.d.ts',
        'transport/live-smtp-transport.d.ts',
      ]),
    );
  });

  it('imports only packages that are declared dependencies or peers (Node.js built-ins aside)', () => {
    const declared = declaredPackages(manifest);
    const undeclared = external()
      .filter((ref) => !declared.has(ref.pkg))
      .map((ref) => `${ref.file}: '${ref.specifier}'`);
    expect(undeclared).toEqual([]);
  });

  it('imports no optional peer, so that an app with Basic settings only compiles without them', () => {
    const optional = optionalPeers(manifest);
    const leaks = external()
      .filter((ref) => optional.has(ref.pkg))
      .map((ref) => `${ref.file}: '${ref.specifier}'`);
    expect(leaks).toEqual([]);
  });

  it('emits declarations without source maps, and no specs', () => {
    expect(emitted).toContain('index.js');
    expect(emitted).toContain('index.d.ts');
    expect(emitted.filter((file) => file.endsWith('.map'))).toEqual([]);
    expect(emitted.filter((file) => /\.spec\.|e2e-spec|integration-spec/.test(file))).toEqual([]);
    for (const file of emitted.filter((f) => f.endsWith('.js'))) {
      expect(emitted).toContain(file.replace(/\.js$/, '.d.ts'));
    }
  });
});

/** './x' in a declaration means './x.d.ts' or './x/index.d.ts' (or './x.js' written out). */
function declarationFile(target: string): string {
  const base = target.replace(/\.js$/, '');
  for (const candidate of [`${base}.d.ts`, join(base, 'index.d.ts')]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`a declaration imports ${target}, which was not emitted`);
}
