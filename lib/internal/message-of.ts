/**
 * The message of anything thrown. No `instanceof Error`: errors from Node's fs may come from another
 * realm (as under Jest).
 */
export function messageOf(error: unknown): string {
  return typeof error === 'object' && error !== null && 'message' in error
    ? String(error.message)
    : String(error);
}
