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
  // Spans and metrics through @opentelemetry/api: every room from the token caches up reports.
  telemetry: 2,
  crypto: 3,
  upgrades: 3,
  postgres: 3,
  'providers/oauth': 3,
  settings: 4,
  stores: 5,
  diagnosis: 5,
  transport: 6,
  // Each provider's folder (any but oauth/): its descriptor spans the settings, diagnosis and
  // transport rooms. A wildcard, so that a new provider is its folder and a registry line only.
  'providers/*': 7,
  // lib/providers/*.ts: the registry, which lists them; the rooms below receive it by injection.
  providers: 8,
  outbox: 9,
  mailer: 10,
  http: 11,
  '.': 12,
};

/** Same-rank rooms that may import each other, each with the reason. */
const SIBLINGS_ALLOWED: ReadonlyArray<readonly [from: string, to: string]> = [
  // Graph signs in with the same Entra ID app as SMTP: one token provider, one set of rules.
  ['providers/microsoft-graph', 'providers/microsoft-smtp'],
  // Telemetry loads its optional peer and names its version as the rest of the module does.
  ['telemetry', 'internal'],
];

const MAX_LINES = 300;
const LIB = join(ROOT, 'lib');
const TEST = join(ROOT, 'test');

const sources = listFiles(LIB, (name) => name.endsWith('.ts') && !name.endsWith('.spec.ts'));

/** The rank of a room: its own, or for a provider's folder that of every provider. */
function rankOf(room: string): number | undefined {
  return RANKS[room] ?? (room.startsWith('providers/') ? RANKS['providers/*'] : undefined);
}

/**
 * The room of a file: its first folder under lib/, or '.' for lib/*.ts. Each folder of providers/
 * is a room of its own (`providers/google`), so that what they share sits lower than each provider.
 */
function roomOf(file: string): string {
  const parts = relative(LIB, file).split(sep);
  if (parts.length === 1) return '.';
  return parts[0] === 'providers' && parts.length > 2 ? `providers/${parts[1]}` : parts[0]!;
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
    const unranked = [...new Set(sources.map(roomOf))].filter((room) => rankOf(room) === undefined);
    expect(unranked).toEqual([]);
  });

  it('points every import down: no room imports a higher one or a sibling of its rank', () => {
    const upward = arrows()
      .filter(
        ({ from, to }) => from !== to && rankOf(from) !== undefined && rankOf(to) !== undefined,
      )
      .filter(({ from, to }) => {
        if (rankOf(to)! > rankOf(from)!) return true;
        if (rankOf(to)! < rankOf(from)!) return false;
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
