import { KNOWN_UPGRADES } from './upgrades.constants';

/** An upgrade id that no upgrade has, and the known id it most likely meant. */
export interface UnknownUpgradeId {
  id: string;
  suggestion?: string;
}

/** Sorts configured upgrade ids into known and unknown ones, so that a typo is caught at start-up. */
export function checkUpgradeIds(ids: readonly string[]): {
  known: string[];
  unknown: UnknownUpgradeId[];
} {
  const known = new Set(KNOWN_UPGRADES.map((upgrade) => upgrade.id));
  const unique = [...new Set(ids)];
  return {
    known: unique.filter((id) => known.has(id)),
    unknown: unique
      .filter((id) => !known.has(id))
      .map((id) => ({ id, suggestion: closestKnownId(id) })),
  };
}

/** One line per unknown id, naming the id it likely meant and every known one. */
export function unknownUpgradeMessage(unknown: UnknownUpgradeId, where: string): string {
  const hint = unknown.suggestion ? ` Did you mean "${unknown.suggestion}"?` : '';
  const ids = KNOWN_UPGRADES.map((upgrade) => upgrade.id).join(', ');
  return `${where} names an unknown upgrade "${unknown.id}", which is ignored.${hint} Known upgrades: ${ids}`;
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
