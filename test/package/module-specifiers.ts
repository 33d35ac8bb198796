import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import ts from 'typescript';

/** One place a file names another module. */
export interface ModuleReference {
  specifier: string;
  /** `import type`, `import { type A }` with only type names, `import('x')` in a type, `export type`. */
  typeOnly: boolean;
  kind: 'import' | 'export' | 'require' | 'dynamic-import' | 'import-type';
}

/** Every module a TypeScript file (source or declaration) names: imports, re-exports, require(), import(). */
export function moduleReferences(file: string): ModuleReference[] {
  const source = ts.createSourceFile(
    file,
    readFileSync(file, 'utf8'),
    ts.ScriptTarget.Latest,
    true,
  );
  const found: ModuleReference[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({
        specifier: node.moduleSpecifier.text,
        typeOnly: isTypeOnlyImport(node.importClause),
        kind: 'import',
      });
    } else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      const namedTypesOnly =
        node.exportClause !== undefined &&
        ts.isNamedExports(node.exportClause) &&
        node.exportClause.elements.length > 0 &&
        node.exportClause.elements.every((e) => e.isTypeOnly);
      found.push({
        specifier: node.moduleSpecifier.text,
        typeOnly: node.isTypeOnly || namedTypesOnly,
        kind: 'export',
      });
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference) &&
      ts.isStringLiteral(node.moduleReference.expression)
    ) {
      found.push({
        specifier: node.moduleReference.expression.text,
        typeOnly: node.isTypeOnly,
        kind: 'require',
      });
    } else if (ts.isCallExpression(node) && node.arguments.length > 0) {
      const [first] = node.arguments;
      if (first && ts.isStringLiteralLike(first)) {
        if (ts.isIdentifier(node.expression) && node.expression.text === 'require') {
          found.push({ specifier: first.text, typeOnly: false, kind: 'require' });
        } else if (node.expression.kind === ts.SyntaxKind.ImportKeyword) {
          found.push({ specifier: first.text, typeOnly: false, kind: 'dynamic-import' });
        }
      }
    } else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    ) {
      found.push({ specifier: node.argument.literal.text, typeOnly: true, kind: 'import-type' });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function isTypeOnlyImport(clause: ts.ImportClause | undefined): boolean {
  if (!clause) return false; // import 'x': loaded for its side effects
  if (clause.isTypeOnly) return true;
  if (clause.name) return false; // a default import is a value
  const bindings = clause.namedBindings;
  if (!bindings || ts.isNamespaceImport(bindings)) return false;
  return bindings.elements.length > 0 && bindings.elements.every((e) => e.isTypeOnly);
}

/** 'node:fs' and 'fs' are built in; no package provides them. */
export function isBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0]!);
}

export function isRelative(specifier: string): boolean {
  return specifier.startsWith('.') || specifier.startsWith('/');
}

/** The package a bare specifier loads from: 'nodemailer/lib/x' → 'nodemailer', '@a/b/c' → '@a/b'. */
export function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** Files under `dir` whose names satisfy `accept`, recursively. */
export function listFiles(dir: string, accept: (name: string) => boolean): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return listFiles(path, accept);
    return accept(entry.name) ? [path] : [];
  });
}

export interface PackageManifest {
  name: string;
  version: string;
  license?: string;
  main?: string;
  types?: string;
  files?: string[];
  exports?: Record<string, unknown>;
  engines?: Record<string, string>;
  sideEffects?: unknown;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  scripts?: Record<string, string>;
}

export const ROOT = join(__dirname, '..', '..');

/**
 * The version of the first `## x.y.z` heading of a changelog in the Keep a Changelog format
 * (`## Unreleased` above it is what comes after that version); undefined when there is none.
 */
export function newestChangelogVersion(changelog: string): string | undefined {
  return /^## (\d+\.\d+\.\d+)\b/m.exec(changelog)?.[1];
}

export function readManifest(): PackageManifest {
  return JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageManifest;
}

/** Packages a consumer installs with this one: dependencies and peers (optional ones included). */
export function declaredPackages(manifest: PackageManifest): Set<string> {
  return new Set([
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
  ]);
}

export function optionalPeers(manifest: PackageManifest): Set<string> {
  return new Set(
    Object.entries(manifest.peerDependenciesMeta ?? {})
      .filter(([, meta]) => meta.optional === true)
      .map(([name]) => name),
  );
}
