/**
 * Where a message names content that nodemailer would read when it sends: a local file (`path`)
 * or a URL (`href`, or a `path` that is one), in an attachment, an alternative, `html`, `text`,
 * `amp`, `watchHtml`, `icalEvent` or `raw`. A `data:` URI carries its content and is not counted.
 * The field as the caller wrote it (`attachments[0].path`), or `null` when there is none.
 */
export function findExternalContent(value: unknown, field = 'message'): string | null {
  if (field === 'message' && isWalked(value) && !Array.isArray(value)) {
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      // Header values, the envelope and DKIM keys are never read from a path.
      if (NEVER_READ.has(key)) continue;
      const rest = foundAt(key, (value as Record<string, unknown>)[key]);
      if (rest !== null) return key + rest;
    }
    return null;
  }
  const rest = externalIn(value);
  return rest === null ? null : field + rest;
}

const NEVER_READ = new Set(['headers', 'envelope', 'dkim']);

/**
 * The rest of the path under `value` (`[0].path`, `.href`) to external content, or `null`. Every
 * send walks its message, and almost none finds anything: the path is written only on a hit.
 */
function externalIn(value: unknown): string | null {
  if (!isWalked(value)) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const rest = externalIn(value[i]);
      if (rest !== null) return `[${i}]${rest}`;
    }
    return null;
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const rest = foundAt(key, (value as Record<string, unknown>)[key]);
    if (rest !== null) return `.${key}${rest}`;
  }
  return null;
}

/** `''` when `key` itself names external content, the rest of the path under it, or `null`. */
function foundAt(key: string, item: unknown): string | null {
  if ((key === 'path' || key === 'href') && isExternal(item)) return '';
  return externalIn(item);
}

/** Objects and arrays, but not content that is already in memory or a stream. */
function isWalked(value: unknown): value is object {
  if (!value || typeof value !== 'object' || Buffer.isBuffer(value)) return false;
  return !(value instanceof Uint8Array || typeof (value as { pipe?: unknown }).pipe === 'function');
}

function isExternal(location: unknown): boolean {
  if (location === undefined || location === null || location === false) return false;
  return !(typeof location === 'string' && /^data:/i.test(location.trim()));
}
