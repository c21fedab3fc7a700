import type { BreakingChange } from './breaking-changes.js';

/**
 * The API's CHANGELOG.md: what changed for callers, release by release. A breaking change to an
 * operation is acknowledged by a line in the `## Unreleased` section that starts with
 * ``- BREAKING `METHOD /path` `` (then says what changed and what callers do about it); one line
 * covers every breaking change to that operation.
 */
export const UNRELEASED_HEADING = '## Unreleased';

/** The `## Unreleased` section's text (up to the next `## ` heading); '' when there is none. */
export function unreleasedSection(changelog: string): string {
  const start = changelog.indexOf(`\n${UNRELEASED_HEADING}\n`);
  if (start < 0) return '';
  const rest = changelog.slice(start + UNRELEASED_HEADING.length + 2);
  const end = rest.search(/^## /m);
  return end < 0 ? rest : rest.slice(0, end);
}

/** The operations the Unreleased section acknowledges breaking. */
export function acknowledgedOperations(changelog: string): Set<string> {
  return new Set([...unreleasedSection(changelog).matchAll(/^- BREAKING `([A-Z]+ \/[^`]*)`/gm)].map((m) => m[1]!));
}

/** The breaking changes no changelog line acknowledges. */
export function unacknowledged(changes: BreakingChange[], changelog: string): BreakingChange[] {
  const acknowledged = acknowledgedOperations(changelog);
  return changes.filter((c) => !acknowledged.has(c.operation));
}

/**
 * At a release: the Unreleased section becomes `## <version> (<date>)` and a new, empty
 * Unreleased section opens above it.
 */
export function releaseChangelog(changelog: string, version: string, date: string): string {
  if (!changelog.includes(`\n${UNRELEASED_HEADING}\n`)) throw new Error(`CHANGELOG.md has no "${UNRELEASED_HEADING}" section`);
  return changelog.replace(`\n${UNRELEASED_HEADING}\n`, `\n${UNRELEASED_HEADING}\n\n## ${version} (${date})\n`);
}
