import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { findLeaks, type Artifact } from './leak-scanner';

interface Capture {
  testPath: string;
  secrets: string[];
  artifacts: Artifact[];
}

/**
 * The leak scan: every secret a test file handled, in every response, log line, error, history
 * entry and store file that the same file produced. Fails the run on a single hit.
 */
export default async function leakScan(): Promise<void> {
  const dir = process.env.LEAK_SCAN_DIR;
  if (!dir) return;
  const captures = readdirSync(dir).map(
    (name) => JSON.parse(readFileSync(join(dir, name), 'utf8')) as Capture,
  );
  rmSync(dir, { recursive: true, force: true });

  const problems: string[] = [];
  let secrets = 0;
  let artifacts = 0;
  for (const capture of captures) {
    secrets += capture.secrets.length;
    artifacts += capture.artifacts.length;
    for (const leak of findLeaks(capture.secrets, capture.artifacts)) {
      problems.push(
        `${capture.testPath}: a secret (${leak.hint}) in ${leak.form} form in a ${leak.kind}: ${leak.where}`,
      );
    }
  }
  // A scan that saw nothing proves nothing: on a full run the capture must have worked.
  if (captures.length >= 10 && (secrets < 20 || artifacts < 500)) {
    problems.push(
      `the leak scan captured too little (${secrets} secrets, ${artifacts} artifacts): is the capture broken?`,
    );
  }
  if (problems.length > 0) throw new Error(`Leak scan failed:\n${problems.join('\n')}`);
  console.log(
    `\nLeak scan: ${secrets} secrets checked against ${artifacts} responses, log lines, errors, history entries, store files, send log entries, alerts and spans and metrics from ${captures.length} test files: no leak.`,
  );
}
