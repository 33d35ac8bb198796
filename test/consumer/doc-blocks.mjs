// The documentation's whole files, compiled as a consumer app would compile them.
//
// A code block of README.md or docs/*.md is a whole file when its first line names it:
//
//   ```ts
//   // src/app.module.ts
//   import { Module } from '@nestjs/common';
//   ```
//
// The blocks are written into a consumer app (beside its own src/, with its node_modules) and
// type-checked with its compiler options (strict, skipLibCheck off) against the packed package.
// Blocks go together: README.md's guard is the one that docs/replicas.md's root module imports.
// A path named a second time (the root module again, with forRootAsync) is checked in a set of its
// own: every first version, that one replaced. A block that does not compile fails the run with its
// document, its line and tsc's error.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, normalize } from 'node:path';

/** The folder, inside a consumer app, that holds the blocks; its tsconfig sits beside it. */
export const DOC_BLOCKS_DIR = 'doc-blocks';
/** Where they compile to: `doc-blocks-dist/set-0/src/main.js` is the README's app. */
export const DOC_BLOCKS_OUT = 'doc-blocks-dist';
export const DOC_BLOCKS_TSCONFIG = 'tsconfig.doc-blocks.json';

/** `// src/app.module.ts`: a relative path of a TypeScript file, nothing else on the line. */
const MARKER = /^\/\/ ((?:[\w.-]+\/)*[\w.-]+\.ts)$/;
const TYPESCRIPT = new Set(['ts', 'typescript']);

/** README.md, then docs/*.md in name order: the documents whose blocks are checked. */
export function documentsOf(root) {
  const docs = readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs].map((name) => ({
    name,
    markdown: readFileSync(join(root, name), 'utf8'),
  }));
}

/** Every fenced code block of a markdown document, with the line of its opening fence (1-based). */
export function codeBlocksOf(markdown) {
  const blocks = [];
  let open = null;
  markdown.split('\n').forEach((text, index) => {
    const fence = /^\s{0,3}(`{3,}|~{3,})\s*([^\s`]*)/.exec(text);
    if (open === null) {
      if (fence)
        open = { fence: fence[1], info: fence[2].toLowerCase(), line: index + 1, lines: [] };
      return;
    }
    const closing = /^\s{0,3}(`{3,}|~{3,})\s*$/.exec(text)?.[1];
    if (closing && closing[0] === open.fence[0] && closing.length >= open.fence.length) {
      blocks.push({ info: open.info, line: open.line, text: open.lines.join('\n') });
      open = null;
      return;
    }
    open.lines.push(text);
  });
  return blocks;
}

/**
 * The whole-file blocks of the documents, and the problems found: a TypeScript block that looks
 * like a whole file (imports and exports) without naming one, so that it is not checked; a path
 * that leaves the app.
 */
export function fileBlocksOf(documents) {
  const files = [];
  const problems = [];
  for (const { name, markdown } of documents) {
    for (const block of codeBlocksOf(markdown)) {
      if (!TYPESCRIPT.has(block.info)) continue;
      const first = block.text.split('\n', 1)[0].trim();
      const path = MARKER.exec(first)?.[1];
      const where = `${name}:${block.line}`;
      if (path === undefined) {
        if (/^import\s[^;]*from\s/m.test(block.text) && /^export\s/m.test(block.text)) {
          problems.push(
            `${where}: a whole file (it imports and exports) whose first line does not name it ` +
              `(such as "// src/app.module.ts"), so it is not compiled`,
          );
        }
        continue;
      }
      if (normalize(path) !== path || path.startsWith('..')) {
        problems.push(`${where}: "${path}" is not a plain relative path inside the app`);
        continue;
      }
      files.push({ document: name, line: block.line, path, text: `${block.text}\n` });
    }
  }
  return { files, problems };
}

/**
 * The sets to compile: the first version of every path, then one set per later version of a path
 * (the first versions with that one in its place).
 */
export function setsOf(files) {
  const base = new Map();
  const later = [];
  for (const file of files) {
    if (base.has(file.path)) later.push(file);
    else base.set(file.path, file);
  }
  return [base, ...later.map((file) => new Map(base).set(file.path, file))];
}

/**
 * Writes the sets into `appDir` (doc-blocks/set-N/…) with a tsconfig of the app's compiler
 * options, emitting into doc-blocks-dist/. Returns where each written file comes from, by its path
 * in the app.
 */
export function writeDocBlocks(appDir, files, compilerOptions) {
  const dir = join(appDir, DOC_BLOCKS_DIR);
  rmSync(dir, { recursive: true, force: true });
  rmSync(join(appDir, DOC_BLOCKS_OUT), { recursive: true, force: true });
  const origins = new Map();
  setsOf(files).forEach((set, index) => {
    for (const [path, file] of set) {
      const written = `${DOC_BLOCKS_DIR}/set-${index}/${path}`;
      mkdirSync(join(appDir, written, '..'), { recursive: true });
      writeFileSync(join(appDir, written), file.text);
      origins.set(written, file);
    }
  });
  const options = { ...compilerOptions, outDir: DOC_BLOCKS_OUT, rootDir: DOC_BLOCKS_DIR };
  const tsconfig = { compilerOptions: options, include: [DOC_BLOCKS_DIR] };
  writeFileSync(join(appDir, DOC_BLOCKS_TSCONFIG), `${JSON.stringify(tsconfig, null, 2)}\n`);
  return origins;
}

/**
 * tsc's output (`--pretty false`) with each error in a block named by its document and line:
 * `README.md:57 src/app.module.ts(3,10): error TS2305: …`. An error in a file shared by several
 * sets is named once.
 */
export function explainTscOutput(output, origins) {
  const seen = new Set();
  const explained = [];
  let skipping = false;
  for (const line of output.split('\n')) {
    const error = /^(\S+?)\((\d+),(\d+)\): (.*)$/.exec(line);
    if (!error) {
      if (!skipping && line.trim()) explained.push(line);
      continue;
    }
    const [, file, row, column, message] = error;
    const origin = origins.get(file.replaceAll('\\', '/'));
    const text = origin
      ? `${origin.document}:${origin.line + Number(row)} ${origin.path}(${row},${column}): ${message}`
      : line;
    skipping = seen.has(text);
    if (!skipping) {
      seen.add(text);
      explained.push(text);
    }
  }
  const hint = /error TS2307: Cannot find module '(?!\.)/.test(output)
    ? '\n(a block imports a package the consumer app lacks: add it to DOC_DEPENDENCIES)'
    : '';
  return explained.join('\n') + hint;
}
