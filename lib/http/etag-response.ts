import { etagOf } from './if-match';

/** The part of a response object that Express and Fastify share. */
export interface HeaderSink {
  header(name: string, value: string): unknown;
}

/**
 * Sets the ETag (the settings version, for If-Match) and returns `state`. `delivery` changes
 * without a new version (an upgrade removed, a failed send), so no cache may answer for these routes.
 */
export function withEtag<T extends { version: number }>(res: HeaderSink, state: T): T {
  res.header('ETag', etagOf(state.version));
  res.header('Cache-Control', 'no-store');
  return state;
}
