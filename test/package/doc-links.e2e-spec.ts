import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ROOT } from './module-specifiers';

/**
 * Every relative link of the documentation leads somewhere: README.md, CONTRIBUTING.md,
 * CHANGELOG.md and docs/*.md link to files that exist, and an anchor (`file.md#anchor`, or `#anchor`
 * in the same file) names a heading of its target, slugged as GitHub slugs it.
 */
const DOCS = join(ROOT, 'docs');
const documents = [
  'README.md',
  'CONTRIBUTING.md',
  'CHANGELOG.md',
  ...(existsSync(DOCS) ? readdirSync(DOCS) : [])
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`),
];

interface Link {
  line: number;
  /** The link as written, `[text](target)`. */
  source: string;
  target: string;
}

/** The lines of a markdown file outside fenced code blocks, with their line numbers. */
function prose(markdown: string): Array<{ line: number; text: string }> {
  const lines: Array<{ line: number; text: string }> = [];
  let fence: string | null = null;
  markdown.split('\n').forEach((text, index) => {
    const marker = /^\s{0,3}(`{3,}|~{3,})/.exec(text)?.[1];
    if (marker && (fence === null || (marker[0] === fence[0] && marker.length >= fence.length))) {
      fence = fence === null ? marker : null;
      return;
    }
    if (fence === null) lines.push({ line: index + 1, text });
  });
  return lines;
}

/** Inline links and images, `[text](target)` or `[text](target "title")`, outside code. */
function linksOf(markdown: string): Link[] {
  const links: Link[] = [];
  for (const { line, text } of prose(markdown)) {
    const withoutCode = text.replace(/(`+)[\s\S]*?\1/g, (span) => ' '.repeat(span.length));
    for (const match of withoutCode.matchAll(
      /!?\[([^\]]*)\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g,
    )) {
      const source = text.slice(match.index, match.index + match[0].length);
      links.push({ line, source, target: match[2]! });
    }
  }
  return links;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped (but `-` and `_`), spaces → `-`. */
function githubSlug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // a link in a heading: its text
    .replace(/<[^>]+>/g, '') // inline HTML
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a markdown file offers: its headings' slugs (repeats get -1, -2, …) and HTML ids. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { text } of prose(markdown)) {
    const heading = /^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(text)?.[1];
    if (heading !== undefined) {
      const slug = githubSlug(heading);
      const count = seen.get(slug) ?? 0;
      seen.set(slug, count + 1);
      anchors.add(count === 0 ? slug : `${slug}-${count}`);
    }
    for (const match of text.matchAll(/<a\s[^>]*(?:id|name)="([^"]+)"/g)) anchors.add(match[1]!);
  }
  return anchors;
}

const isExternal = (target: string): boolean => /^[a-z][a-z0-9+.-]*:/i.test(target);

/** What is wrong with one link of `from` (a path relative to ROOT), or null when it works. */
function problemOf(from: string, markdown: string, link: Link): string | null {
  const hash = link.target.indexOf('#');
  const path = decodeURIComponent(hash === -1 ? link.target : link.target.slice(0, hash));
  const anchor = hash === -1 ? null : decodeURIComponent(link.target.slice(hash + 1));
  const file = path === '' ? join(ROOT, from) : resolve(dirname(join(ROOT, from)), path);
  const where = `${from}:${link.line} ${link.source}`;
  if (relative(ROOT, file).startsWith('..')) return `${where}: leaves the repository`;
  if (!existsSync(file)) return `${where}: no file ${relative(ROOT, file)}`;
  if (anchor === null) return null;
  if (statSync(file).isDirectory() || !file.endsWith('.md')) {
    return `${where}: an anchor into ${relative(ROOT, file)}, which is not a markdown file`;
  }
  const text = path === '' ? markdown : readFileSync(file, 'utf8');
  return anchorsOf(text).has(anchor)
    ? null
    : `${where}: ${relative(ROOT, file)} has no heading whose anchor is #${anchor}`;
}

function problemsOf(from: string, markdown: string): string[] {
  return linksOf(markdown)
    .filter((link) => !isExternal(link.target))
    .map((link) => problemOf(from, markdown, link))
    .filter((problem): problem is string => problem !== null);
}

describe('Documentation links', () => {
  it('slugs headings as GitHub does', () => {
    expect(githubSlug('`enqueue` or `send`')).toBe('enqueue-or-send');
    expect(githubSlug('Templates with @nestjs-modules/mailer')).toBe(
      'templates-with-nestjs-modulesmailer',
    );
    expect(githubSlug('Microsoft 365 (Bearer authentication)')).toBe(
      'microsoft-365-bearer-authentication',
    );
    expect(githubSlug('Architecture: how it fits together')).toBe(
      'architecture-how-it-fits-together',
    );
    expect(githubSlug('TEST_* variables, and more')).toBe('test_-variables-and-more');
    expect([...anchorsOf('# Notes\n\n```bash\n# not a heading\n```\n\n## Notes\n')]).toEqual([
      'notes',
      'notes-1',
    ]);
  });

  it('finds relative links outside code, and names the broken ones', () => {
    const markdown = [
      '# Title',
      'See [the title](#title), [nothing](#nothing), [a file](missing.md) and [web](https://x.y).',
      'Code is not a link: `[x](y.md)`.',
      '```',
      '[z](z.md)',
      '```',
      '[README](README.md#nest-smtp-settings) and [README](README.md#no-such-heading).',
    ].join('\n');
    expect(problemsOf('README.md', markdown)).toEqual([
      'README.md:2 [nothing](#nothing): README.md has no heading whose anchor is #nothing',
      'README.md:2 [a file](missing.md): no file missing.md',
      'README.md:7 [README](README.md#no-such-heading): README.md has no heading whose anchor is #no-such-heading',
    ]);
  });

  it('reads README.md, CONTRIBUTING.md, CHANGELOG.md and the docs/ folder', () => {
    for (const document of ['README.md', 'CONTRIBUTING.md', 'CHANGELOG.md']) {
      expect([document, existsSync(join(ROOT, document))]).toEqual([document, true]);
    }
    expect(documents.filter((name) => name.startsWith('docs/')).length).toBeGreaterThan(5);
  });

  it.each(documents)('%s: every relative link leads to a file and a heading', (document) => {
    const markdown = readFileSync(join(ROOT, document), 'utf8');
    expect(problemsOf(document, markdown)).toEqual([]);
  });

  it('CONTRIBUTING.md names every room of lib/', () => {
    const contributing = readFileSync(join(ROOT, 'CONTRIBUTING.md'), 'utf8');
    const rooms = readdirSync(join(ROOT, 'lib'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `\`${entry.name}/\``);
    expect(rooms.filter((room) => !contributing.includes(room))).toEqual([]);
  });
});

// Issue 21: a Nest developer reads the README in ten minutes; the rest is in docs/.
describe('The README', () => {
  it('stays at 400 lines or fewer', () => {
    const lines = readFileSync(join(ROOT, 'README.md'), 'utf8').trimEnd().split('\n').length;
    expect(lines).toBeLessThanOrEqual(400);
  });
});
