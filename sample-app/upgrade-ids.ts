import { KNOWN_UPGRADES } from '../lib';

/**
 * Sorts upgrade ids from INSTALLED_UPGRADES or upgrades.json into the ones the library knows
 * (`KNOWN_UPGRADES`) and the others, warning about each other one with the known id it most likely
 * meant, so that a typo is caught at start-up.
 */
export function knownUpgradeIds(
  ids: readonly string[],
  source: string,
  warn: (line: string) => void,
): string[] {
  const known = new Set(KNOWN_UPGRADES.map((upgrade) => upgrade.id));
  const unique = [...new Set(ids)];
  for (const id of unique.filter((id) => !known.has(id))) {
    const suggestion = closestKnownId(id);
    const hint = suggestion ? ` Did you mean "${suggestion}"?` : '';
    warn(
      `${source} names an unknown upgrade "${id}", which is ignored.${hint} Known upgrades: ${[...known].join(', ')}`,
    );
  }
  return unique.filter((id) => known.has(id));
}

/** A known id within two edits (smtp-oath, smtp_oauth, SMTP-OAUTH), if there is one. */
function closestKnownId(id: string): string | undefined {
  let best: { id: string; distance: number } | undefined;
  for (const { id: candidate } of KNOWN_UPGRADES) {
    const distance = editDistance(id.toLowerCase(), candidate);
    if (distance <= 2 && (!best || distance < best.distance)) best = { id: candidate, distance };
  }
  return best?.id;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}
