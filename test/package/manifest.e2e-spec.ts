import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  declaredPackages,
  isBuiltin,
  isRelative,
  listFiles,
  moduleReferences,
  newestChangelogVersion,
  optionalPeers,
  packageOf,
  readManifest,
  ROOT,
} from './module-specifiers';

const manifest = readManifest();
const sources = listFiles(
  join(ROOT, 'lib'),
  (name) => name.endsWith('.ts') && !name.endsWith('.spec.ts'),
);
const references = sources.flatMap((file) =>
  moduleReferences(file)
    .filter((ref) => !isRelative(ref.specifier) && !isBuiltin(ref.specifier))
    .map((ref) => ({ ...ref, file: file.slice(ROOT.length + 1), pkg: packageOf(ref.specifier) })),
);

describe('package.json', () => {
  it('declares every package that lib/ imports, requires or names in a type as a dependency or peer', () => {
    expect(sources.length).toBeGreaterThan(10);
    const declared = declaredPackages(manifest);
    const undeclared = references
      .filter((ref) => !declared.has(ref.pkg))
      .map((ref) => `${ref.file}: ${ref.kind} '${ref.specifier}'`);
    expect(undeclared).toEqual([]);
  });

  it('loads optional peers only lazily: a static import of one must be type-only', () => {
    const optional = optionalPeers(manifest);
    const eager = references
      .filter((ref) => optional.has(ref.pkg) && ref.kind === 'import' && !ref.typeOnly)
      .map((ref) => `${ref.file}: import '${ref.specifier}'`);
    expect(eager).toEqual([]);
  });

  it('names Nest 11 and 12, nodemailer 10 and the validation packages as peers, with explicit ranges', () => {
    expect(manifest.peerDependencies).toMatchObject({
      '@nestjs/common': '^11.0.0 || ^12.0.0',
      '@nestjs/core': '^11.0.0 || ^12.0.0',
      'reflect-metadata': expect.any(String),
      rxjs: expect.stringMatching(/^\^7\./),
      nodemailer: expect.stringMatching(/^\^10\./),
      'class-validator': expect.any(String),
      'class-transformer': expect.any(String),
    });
    for (const [name, range] of Object.entries(manifest.peerDependencies ?? {})) {
      expect([name, range]).not.toEqual([name, expect.stringMatching(/^(\*|latest|)$/)]);
    }
  });

  it('marks the integrations optional: pg, @nestjs-modules/mailer, @azure/msal-node, @nestjs/swagger', () => {
    const optional = optionalPeers(manifest);
    for (const name of ['pg', '@nestjs-modules/mailer', '@azure/msal-node', '@nestjs/swagger']) {
      expect(optional).toContain(name);
      expect(manifest.peerDependencies).toHaveProperty([name]);
    }
    for (const name of optional) expect(manifest.peerDependencies).toHaveProperty([name]);
  });

  it('tests against every peer: each is also a pinned devDependency', () => {
    for (const name of Object.keys(manifest.peerDependencies ?? {})) {
      expect([name, manifest.devDependencies?.[name]]).toEqual([
        name,
        expect.stringMatching(/^\d+\.\d+\.\d+$/),
      ]);
    }
  });

  it('publishes dist/, CHANGELOG.md and LICENSE, through an exports map that also exposes package.json', () => {
    // npm adds README.md, LICENSE and package.json by itself, but not CHANGELOG.md: both are named.
    expect(manifest.files).toEqual(['dist', 'CHANGELOG.md', 'LICENSE']);
    for (const file of ['CHANGELOG.md', 'LICENSE']) expect(existsSync(join(ROOT, file))).toBe(true);
    expect(manifest.main).toBe('dist/index.js');
    expect(manifest.types).toBe('dist/index.d.ts');
    expect(manifest.exports).toEqual({
      '.': { types: './dist/index.d.ts', default: './dist/index.js' },
      './package.json': './package.json',
    });
  });

  it('carries the version of the newest numbered CHANGELOG heading, under an MIT LICENSE', () => {
    const changelog = readFileSync(join(ROOT, 'CHANGELOG.md'), 'utf8');
    expect(newestChangelogVersion(changelog)).toBe(manifest.version);
    expect(manifest.license).toBe('MIT');
    expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n/);
  });

  it('requires a Node.js that can require() Nest 12 (ES modules), and claims no sideEffects', () => {
    expect(manifest.engines).toEqual({ node: '^20.19.0 || >=22.12.0' });
    // Decorators register metadata when a file loads: bundlers must not drop "unused" imports.
    expect(manifest).not.toHaveProperty('sideEffects');
  });

  it('cleans dist before every build and builds before every pack', () => {
    expect(manifest.scripts?.build).toMatch(/rmSync\('dist'.*&& tsc -p tsconfig\.build\.json$/);
    expect(manifest.scripts?.prepack).toBe('npm run build');
  });
});
