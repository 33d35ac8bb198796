/**
 * Where a message names content that nodemailer would read when it sends: a local file (`path`)
 * or a URL (`href`, or a `path` that is one), in an attachment, an alternative, `html`, `text`,
 * `amp`, `watchHtml`, `icalEvent` or `raw`. A `data:` URI carries its content and is not counted.
 * The field as the caller wrote it (`attachments[0].path`), or `null` when there is none.
 */
export function findExternalContent(value: unknown, field = 'message'): string | null {
  if (!value || typeof value !== 'object' || Buffer.isBuffer(value)) return null;
  if (value instanceof Uint8Array || typeof (value as { pipe?: unknown }).pipe === 'function') {
    return null;
  }
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = findExternalContent(item, `${field}[${i}]`);
      if (found) return found;
    }
    return null;
  }
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    // Header values, the envelope and DKIM keys are never read from a path.
    if (field === 'message' && NEVER_READ.has(key)) continue;
    const path = field === 'message' ? key : `${field}.${key}`;
    if ((key === 'path' || key === 'href') && isExternal(item)) return path;
    const found = findExternalContent(item, path);
    if (found) return found;
  }
  return null;
}

const NEVER_READ = new Set(['headers', 'envelope', 'dkim']);

function isExternal(location: unknown): boolean {
  if (location === undefined || location === null || location === false) return false;
  return !(typeof location === 'string' && /^data:/i.test(location.trim()));
}
