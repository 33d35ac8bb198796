import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { isRelative, listFiles, moduleReferences, ROOT } from './module-specifiers';

/**
 * The rooms of lib/, bottom to top. A file may import its own room and rooms of a lower rank; rooms
 * of the same rank stay out of each other. Files directly in lib/ (the module, its wiring, the
 * barrel) are the top floor.
 */
const RANKS: Readonly<Record<string, number>> = {
  interfaces: 0,
  options: 1,
  errors: 2,
  internal: 2,
  crypto: 3,
  upgrades: 3,
  postgres: 3,
  settings: 4,
  stores: 5,
  microsoft: 5,
  google: 5,
  diagnosis: 5,
  transport: 6,
  outbox: 7,
  mailer: 8,
  http: 9,
  '.': 10,
};

/** Same-rank rooms that may import each other, each with the reason. None today. */
const SIBLINGS_ALLOWED: ReadonlyArray<readonly [from: string, to: string]> = [];

const MAX_LINES = 300;
const LIB = join(ROOT, 'lib');
const TEST = join(ROOT, 'test');

const sources = listFiles(LIB, (name) => name.endsWith('.ts') && !name.endsWith('.spec.ts'));

/** The room of a file: its first folder under lib/, or '.' for lib/*.ts. */
function roomOf(file: string): string {
  const parts = relative(LIB, file).split(sep);
  return parts.length === 1 ? '.' : parts[0]!;
}

interface Arrow {
  file: string;
  target: string;
  from: string;
  to: string;
}

function arrows(): Arrow[] {
  return sources.flatMap((file) =>
    moduleReferences(file)
      .filter((ref) => isRelative(ref.specifier))
      .map((ref) => resolve(dirname(file), ref.specifier))
      .filter((target) => !relative(LIB, target).startsWith('..'))
      .map((target) => ({
        file: relative(ROOT, file),
        target: relative(ROOT, target),
        from: roomOf(file),
        to: roomOf(target),
      })),
  );
}

describe('Layering of lib/', () => {
  it('gives every room a rank', () => {
    const unranked = [...new Set(sources.map(roomOf))].filter((room) => !(room in RANKS));
    expect(unranked).toEqual([]);
  });

  it('points every import down: no room imports a higher one or a sibling of its rank', () => {
    const upward = arrows()
      .filter(({ from, to }) => from !== to && from in RANKS && to in RANKS)
      .filter(({ from, to }) => {
        if (RANKS[to]! > RANKS[from]!) return true;
        if (RANKS[to]! < RANKS[from]!) return false;
        return !SIBLINGS_ALLOWED.some(([a, b]) => a === from && b === to);
      })
      .map(({ file, target, from, to }) => `${file} (${from}) → ${target} (${to})`);
    expect(upward).toEqual([]);
  });

  it('keeps the domain and the transport free of the REST adapter', () => {
    const intoHttp = arrows()
      .filter(({ from, to }) => to === 'http' && from !== 'http' && from !== '.')
      .map(({ file, target }) => `${file} → ${target}`);
    expect(intoHttp).toEqual([]);
  });

  it('never imports test/ from lib/, specs included', () => {
    const all = listFiles(LIB, (name) => name.endsWith('.ts'));
    const intoTest = all.flatMap((file) =>
      moduleReferences(file)
        .filter((ref) => isRelative(ref.specifier))
        .map((ref) => resolve(dirname(file), ref.specifier))
        .filter((target) => !relative(TEST, target).startsWith('..'))
        .map((target) => `${relative(ROOT, file)} → ${relative(ROOT, target)}`),
    );
    expect(intoTest).toEqual([]);
  });

  it(`keeps every file of lib/ at ${MAX_LINES} lines or fewer (specs excluded)`, () => {
    const long = sources
      .map((file) => ({ file, lines: readFileSync(file, 'utf8').trimEnd().split('\n').length }))
      .filter(({ lines }) => lines > MAX_LINES)
      .map(({ file, lines }) => `${relative(ROOT, file)}: ${lines} lines`);
    expect(long).toEqual([]);
  });
});
