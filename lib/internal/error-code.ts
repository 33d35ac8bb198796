/** The `code` of a Node.js system error (`ENOENT`, `EEXIST`, ...), from any realm. */
export function codeOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
}
