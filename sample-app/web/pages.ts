import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The page files: beside this file's folder when run from source (tests), or in the source tree when
 * run from dist-sample/ (npm start), since the TypeScript build copies no assets.
 */
export const PUBLIC_DIR = [
  resolve(__dirname, '..', 'public'),
  resolve(__dirname, '..', '..', '..', 'sample-app', 'public'),
].find((dir) => existsSync(join(dir, 'admin.html')))!;

/** Only this origin's scripts, styles and connections: no inline script, no CDN. */
export const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "frame-src 'none'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** The part of Express's response that pages need. */
export interface PageResponse {
  setHeader(name: string, value: string): unknown;
  sendFile(path: string): unknown;
}

export function sendPage(res: PageResponse, file: string): void {
  res.setHeader('Content-Security-Policy', PAGE_CSP);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.sendFile(join(PUBLIC_DIR, file));
}
