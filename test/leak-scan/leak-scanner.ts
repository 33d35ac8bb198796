/**
 * One piece of output the suite produced: a response body, a log line, an error, a store file, a
 * send log entry, an outbox alert, or what a span or a metric holds (telemetry).
 */
export interface Artifact {
  kind: 'response' | 'log' | 'error' | 'store' | 'history' | 'send-log' | 'alert' | 'telemetry';
  where: string;
  text: string;
}

export interface Leak {
  kind: Artifact['kind'];
  where: string;
  /** How the secret appeared: as it is, or in base64, base64url or hex. */
  form: 'plain' | 'base64' | 'base64url' | 'hex';
  /** The first characters of the secret, never the whole of it. */
  hint: string;
}

/** Secrets shorter than this are words that ordinary text contains ("p", "nope"). */
export const MIN_SECRET_LENGTH = 8;

type Forms = Array<[Leak['form'], string]>;

function formsOf(secret: string): Forms {
  const bytes = Buffer.from(secret);
  return [
    ['plain', secret],
    ['base64', bytes.toString('base64').replace(/=+$/, '')],
    ['base64url', bytes.toString('base64url')],
    ['hex', bytes.toString('hex')],
  ];
}

/** Finds every secret, in any form it could be copied in, in every artifact: one report per pair. */
export function findLeaks(secrets: Iterable<string>, artifacts: Iterable<Artifact>): Leak[] {
  const searched = [...new Set(secrets)]
    .filter((secret) => secret.length >= MIN_SECRET_LENGTH)
    .map((secret) => ({ hint: `${secret.slice(0, 3)}…`, forms: formsOf(secret) }));
  const leaks: Leak[] = [];
  for (const artifact of artifacts) {
    for (const { hint, forms } of searched) {
      const hit = forms.find(([, needle]) => artifact.text.includes(needle));
      if (hit) leaks.push({ kind: artifact.kind, where: artifact.where, form: hit[0], hint });
    }
  }
  return leaks;
}

/**
 * Every line of base64 of a PEM (a private key), the short last one too: without the `-----BEGIN`
 * and `-----END` lines and headers such as `Proc-Type:`, which keys share. Nothing for a secret that
 * is not a PEM. (The scan skips lines shorter than `MIN_SECRET_LENGTH`.)
 */
export function pemLinesOf(secret: string): string[] {
  if (!secret.includes('-----BEGIN ')) return [];
  return secret
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('-----') && !line.includes(':'));
}
